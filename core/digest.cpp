#include "core/digest.hpp"

#include <gnutls/crypto.h>

#include <array>
#include <fstream>
#include <sstream>

namespace sigtrust {

// GnuTLS computes the hash: the one C library the pure layer links, for
// digests of plans and expectation files (not of key material).
std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, 32> digest{};
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes.data(), bytes.size(), digest.data()) < 0) return {};
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
