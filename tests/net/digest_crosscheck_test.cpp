// The pure SHA-256 of the core layer (core/digest.cpp) against GnuTLS's.
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/digest.hpp"

namespace sigtrust {
namespace {

std::string gnutls_sha256_hex(const std::string& bytes) {
  unsigned char digest[32];
  EXPECT_EQ(gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes.data(), bytes.size(), digest), 0);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

TEST(DigestCrosscheck, Sha256AgreesWithGnutlsOnEveryLengthUpTo300) {
  std::mt19937 rng(17);
  for (std::size_t n = 0; n <= 300; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    EXPECT_EQ(sha256_hex(bytes), gnutls_sha256_hex(bytes)) << n << " bytes";
  }
}

}  // namespace
}  // namespace sigtrust
