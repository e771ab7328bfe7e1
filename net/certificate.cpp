#include "net/certificate.hpp"

#include <gnutls/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include "net/certificate_native.hpp"

namespace sigtrust {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string hex_pairs(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(n * 3);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ':';
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xF];
  }
  return out;
}

}  // namespace

Result<sdp::Fingerprint> fingerprint_of(std::span<const std::uint8_t> der, std::string_view hash) {
  // RFC 8122 §5 names hash functions by their IANA "Hash Function Textual Names".
  const std::string h = lower(hash);
  gnutls_digest_algorithm_t alg;
  if (h == "sha-1") alg = GNUTLS_DIG_SHA1;
  else if (h == "sha-224") alg = GNUTLS_DIG_SHA224;
  else if (h == "sha-256") alg = GNUTLS_DIG_SHA256;
  else if (h == "sha-384") alg = GNUTLS_DIG_SHA384;
  else if (h == "sha-512") alg = GNUTLS_DIG_SHA512;
  else if (h == "md5") alg = GNUTLS_DIG_MD5;
  else return Error{"unsupported fingerprint hash '" + std::string(hash) + "'"};
  unsigned char digest[64];
  const gnutls_datum_t datum{const_cast<unsigned char*>(der.data()), static_cast<unsigned>(der.size())};
  size_t size = sizeof(digest);
  if (const int ret = gnutls_fingerprint(alg, &datum, digest, &size); ret < 0)
    return Error{std::string("fingerprint: ") + gnutls_strerror(ret)};
  return sdp::Fingerprint{h, hex_pairs(digest, size)};
}

Certificate::Certificate(const std::string& common_name) : native_(std::make_unique<Native>()) {
  gnutls_x509_privkey_t key_raw = nullptr;
  gnutls::check(gnutls_x509_privkey_init(&key_raw), "privkey init");
  gnutls::PrivkeyPtr key(key_raw);
  gnutls::check(
      gnutls_x509_privkey_generate(key.get(), GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
      "generate ECDSA P-256 key");

  gnutls_x509_crt_t crt_raw = nullptr;
  gnutls::check(gnutls_x509_crt_init(&crt_raw), "certificate init");
  gnutls::CrtPtr crt(crt_raw);
  gnutls::check(gnutls_x509_crt_set_version(crt.get(), 3), "set version");
  unsigned char serial[16];
  gnutls::check(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)), "serial");
  serial[0] &= 0x7F;  // a positive INTEGER
  gnutls::check(gnutls_x509_crt_set_serial(crt.get(), serial, sizeof(serial)), "set serial");
  const std::time_t now = std::time(nullptr);
  gnutls::check(gnutls_x509_crt_set_activation_time(crt.get(), now - 3600), "set activation");
  gnutls::check(gnutls_x509_crt_set_expiration_time(crt.get(), now + 30L * 24 * 3600), "set expiration");
  gnutls::check(gnutls_x509_crt_set_dn_by_oid(crt.get(), GNUTLS_OID_X520_COMMON_NAME, 0, common_name.data(),
                                              static_cast<unsigned>(common_name.size())),
                "set subject");
  gnutls::check(gnutls_x509_crt_set_key(crt.get(), key.get()), "set key");
  gnutls::check(gnutls_x509_crt_sign2(crt.get(), crt.get(), key.get(), GNUTLS_DIG_SHA256, 0), "self-sign certificate");

  gnutls_datum_t out{};
  gnutls::check(gnutls_x509_crt_export2(crt.get(), GNUTLS_X509_FMT_DER, &out), "export DER");
  const gnutls::DataPtr exported(out.data);
  der_.assign(out.data, out.data + out.size);

  gnutls_certificate_credentials_t cred = nullptr;
  gnutls::check(gnutls_certificate_allocate_credentials(&cred), "allocate credentials");
  native_->credentials.reset(cred);
  gnutls_x509_crt_t chain[1] = {crt.get()};
  gnutls::check(gnutls_certificate_set_x509_key(cred, chain, 1, key.get()), "set credentials key");

  auto fp = fingerprint_of(der_, "sha-256");
  if (!fp) throw gnutls::Failure(fp.error().message);
  fingerprint_ = std::move(*fp);
}

Certificate::~Certificate() = default;

Result<sdp::Fingerprint> Certificate::fingerprint(std::string_view hash) const { return fingerprint_of(der_, hash); }

}  // namespace sigtrust
