#include "net/certificate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sigtrust {
namespace {

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Number of bytes in an "AB:CD:..." value, or -1 if it is not upper-case hex pairs.
int upper_hex_pairs(const std::string& value) {
  if (value.size() < 2 || (value.size() + 1) % 3 != 0) return -1;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool ok = i % 3 == 2 ? c == ':' : ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
    if (!ok) return -1;
  }
  return static_cast<int>((value.size() + 1) / 3);
}

std::vector<std::uint8_t> read_der(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Known answers from another implementation: tests/data/certificates/README.md
// says how `openssl x509 -fingerprint` produced them.
TEST(FingerprintOf, KnownAnswersFromOpenssl) {
  const auto der = read_der(SIGTRUST_TEST_DATA "/certificates/known-answer.der");
  ASSERT_GT(der.size(), 100u) << "tests/data/certificates/known-answer.der missing";
  const std::vector<std::pair<std::string, std::string>> known = {
      {"sha-256", "5D:25:5A:50:92:B8:C9:72:02:B0:A2:D9:4C:D4:C6:57:62:41:09:00:71:37:68:34:2F:CF:41:6F:B5:1F:88:BC"},
      {"sha-1", "58:BA:B0:3A:09:E7:CE:C2:24:E8:8D:D8:5E:05:5D:36:5E:A7:A4:98"},
      {"md5", "68:85:F8:E5:03:47:49:EF:24:D2:B5:1A:01:99:30:DA"},
  };
  for (const auto& [hash, value] : known) {
    const auto fp = fingerprint_of(der, hash);
    ASSERT_TRUE(fp.ok()) << hash;
    EXPECT_EQ(fp->hash, hash);
    EXPECT_EQ(fp->value, value) << hash;
  }
  // And in RFC 8122 §5 syntax, as it goes into a=fingerprint.
  EXPECT_EQ(sdp::format_fingerprint(*fingerprint_of(der, "SHA-256")),
            "sha-256 5D:25:5A:50:92:B8:C9:72:02:B0:A2:D9:4C:D4:C6:57:62:41:09:00:71:37:68:34:2F:CF:41:6F:B5:1F:88:BC");
}

TEST(Certificate, FingerprintIsSha256WithThirtyTwoUpperCaseHexPairs) {
  Certificate cert("alice");
  const std::string fp = sdp::format_fingerprint(cert.fingerprint());
  EXPECT_EQ(cert.fingerprint().hash, "sha-256");
  ASSERT_EQ(fp.rfind("sha-256 ", 0), 0u) << fp;
  EXPECT_EQ(upper_hex_pairs(fp.substr(8)), 32) << fp;
  EXPECT_EQ(fp.size(), 8u + 32 * 3 - 1);
}

TEST(Certificate, FingerprintMatchesFingerprintOfItsDer) {
  Certificate cert("alice");
  ASSERT_FALSE(cert.der().empty());
  auto fp = fingerprint_of(cert.der(), "sha-256");
  ASSERT_TRUE(fp.ok()) << fp.error().message;
  EXPECT_EQ(*fp, cert.fingerprint());
  EXPECT_EQ(sdp::format_fingerprint(*fp), sdp::format_fingerprint(cert.fingerprint()));
  auto member = cert.fingerprint("sha-256");
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(*member, *fp);
}

TEST(Certificate, TwoCertificatesDiffer) {
  Certificate a("alice");
  Certificate b("alice");  // same name: still a fresh key and serial
  EXPECT_NE(a.der(), b.der());
  EXPECT_NE(a.fingerprint(), b.fingerprint());
}

TEST(FingerprintOf, DigestSizesPerHash) {
  Certificate cert("bob");
  const std::pair<const char*, int> cases[] = {{"sha-1", 20},   {"sha-224", 28}, {"sha-256", 32},
                                               {"sha-384", 48}, {"sha-512", 64}, {"md5", 16}};
  for (const auto& [hash, bytes] : cases) {
    auto fp = fingerprint_of(cert.der(), hash);
    ASSERT_TRUE(fp.ok()) << hash << ": " << fp.error().message;
    EXPECT_EQ(fp->hash, hash);
    EXPECT_EQ(upper_hex_pairs(fp->value), bytes) << hash << " " << fp->value;
  }
}

TEST(FingerprintOf, HashNameIsCaseInsensitive) {
  Certificate cert("bob");
  auto upper = fingerprint_of(cert.der(), "SHA-256");
  auto lower = fingerprint_of(cert.der(), "sha-256");
  ASSERT_TRUE(upper.ok());
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(upper->value, lower->value);
  EXPECT_EQ(*upper, *lower);
}

TEST(FingerprintOf, Md2IsAnError) {
  Certificate cert("bob");
  auto fp = fingerprint_of(cert.der(), "md2");
  ASSERT_FALSE(fp.ok());
  EXPECT_NE(fp.error().message.find("md2"), std::string::npos) << fp.error().message;
  EXPECT_FALSE(cert.fingerprint("md2").ok());
}

TEST(FingerprintOf, UnknownHashIsAnError) {
  Certificate cert("bob");
  EXPECT_FALSE(fingerprint_of(cert.der(), "sha-3000").ok());
  EXPECT_FALSE(fingerprint_of(cert.der(), "").ok());
  EXPECT_FALSE(fingerprint_of(cert.der(), "sha256").ok());  // IANA name has the dash
}

TEST(FingerprintEquality, HexComparedCaseInsensitively) {
  Certificate cert("carol");
  auto fp = fingerprint_of(cert.der(), "sha-256");
  ASSERT_TRUE(fp.ok());
  sdp::Fingerprint lowered{fp->hash, to_lower(fp->value)};
  ASSERT_NE(lowered.value, fp->value);  // all 64 digits being 0-9 has probability (10/16)^64
  EXPECT_EQ(*fp, lowered);
  EXPECT_EQ(lowered, *fp);
  sdp::Fingerprint upper_hash{"SHA-256", fp->value};
  EXPECT_EQ(*fp, upper_hash);
}

TEST(FingerprintEquality, DifferentDigestOrHashIsNotTheSame) {
  Certificate a("alice");
  Certificate b("bob");
  auto fa = fingerprint_of(a.der(), "sha-256");
  auto fb = fingerprint_of(b.der(), "sha-256");
  ASSERT_TRUE(fa.ok());
  ASSERT_TRUE(fb.ok());
  EXPECT_NE(*fa, *fb);
  // Same digest text under another hash name is not the same fingerprint.
  EXPECT_NE(*fa, (sdp::Fingerprint{"sha-384", fa->value}));
}

}  // namespace
}  // namespace sigtrust
