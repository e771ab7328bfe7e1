#include "trust/signing_key.hpp"

#include <glib.h>

#include "net/glib_handles.hpp"
#include "net/gnutls_handles.hpp"

namespace sigtrust {

struct PublicKey::Native {
  gnutls::PubkeyPtr key;
};
struct SigningKey::Native {
  gnutls::AbsPrivkeyPtr key;
};

PublicKey::PublicKey() : native_(std::make_unique<Native>()) {}
PublicKey::~PublicKey() = default;
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;

bool PublicKey::verify(std::string_view data, std::span<const std::uint8_t> signature) const {
  if (signature.empty() || signature.size() > 512) return false;
  const gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(data.data())),
                         static_cast<unsigned>(data.size())};
  const gnutls_datum_t s{const_cast<unsigned char*>(signature.data()), static_cast<unsigned>(signature.size())};
  return gnutls_pubkey_verify_data2(native_->key.get(), GNUTLS_SIGN_ECDSA_SHA256, 0, &d, &s) >= 0;
}

SigningKey::SigningKey() : native_(std::make_unique<Native>()) {
  gnutls_privkey_t raw = nullptr;
  gnutls::check(gnutls_privkey_init(&raw), "private key init");
  native_->key.reset(raw);
  gnutls::check(gnutls_privkey_generate(raw, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                "generate ECDSA P-256 signing key");
  gnutls_pubkey_t pub = nullptr;
  gnutls::check(gnutls_pubkey_init(&pub), "public key init");
  public_.native_->key.reset(pub);
  gnutls::check(gnutls_pubkey_import_privkey(pub, raw, 0, 0), "derive public key");
}

SigningKey::~SigningKey() = default;

std::vector<std::uint8_t> SigningKey::sign(std::string_view data) const {
  const gnutls_datum_t d{reinterpret_cast<unsigned char*>(const_cast<char*>(data.data())),
                         static_cast<unsigned>(data.size())};
  gnutls_datum_t sig{};
  gnutls::check(gnutls_privkey_sign_data(native_->key.get(), GNUTLS_DIG_SHA256, 0, &d, &sig), "sign");
  const gnutls::DataPtr signature(sig.data);
  return std::vector<std::uint8_t>(sig.data, sig.data + sig.size);
}

std::string base64_encode(std::span<const std::uint8_t> data) {
  const CharPtr s(g_base64_encode(data.data(), data.size()));
  return s.get();
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  if (text.empty() || text.size() > 65536 || text.size() % 4 != 0 ||
      text.find_first_not_of(kAlphabet) != std::string_view::npos)
    return {};
  std::string copy(text);
  gsize n = 0;
  const CPtr<guchar, g_free> raw(g_base64_decode(copy.c_str(), &n));
  return std::vector<std::uint8_t>(raw.get(), raw.get() + n);
}

}  // namespace sigtrust
