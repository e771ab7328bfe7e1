#include "sim/digest.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sigtrust {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[32];
  if (const int ret = gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes.data(), bytes.size(), digest); ret < 0)
    throw std::runtime_error(std::string("sha-256: ") + gnutls_strerror(ret));  // only if GnuTLS lacks SHA-256
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

Result<std::string> sha256_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return Error{"cannot read " + path};
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error{"cannot read " + path};
  return sha256_hex(ss.str());
}

}  // namespace sigtrust
