// RFC 8827-style identity assertions: the round trip, and the parser's
// refusals of what a hostile relay may put in a=identity, nesting included.
#include "trust/identity_provider.hpp"

#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "trust/signing_key.hpp"

namespace sigtrust {
namespace {

std::string b64(const std::string& text) {
  return base64_encode({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// 10,000 levels: far past the limit, and inside a=identity's 64 KiB once base64-encoded.
std::string nested_arrays(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

// An a=identity value whose contents are `contents`, signed with `key`: what
// an IdP holding `key` would send, whatever the contents.
std::string signed_by(const SigningKey& key, const std::string& contents) {
  const nlohmann::json assertion{{"contents", contents}, {"signature", base64_encode(key.sign(contents))}};
  const nlohmann::json outer{{"idp", {{"domain", IdentityProvider::kDomain}, {"protocol", "default"}}},
                             {"assertion", assertion.dump()}};
  return b64(outer.dump());
}

TEST(IdentityAssertion, RoundTripNamesTheIdentityAndEveryFingerprint) {
  IdentityProvider idp;
  const std::vector<sdp::Fingerprint> fps = {{"sha-256", "AB:CD"}, {"sha-1", "01:02"}};
  const auto a = verify_identity(idp.assert_identity("bob", fps), idp.public_key());
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->identity, "bob@idp.sigtrust.test");
  ASSERT_EQ(a->fingerprints.size(), 2u);
  EXPECT_EQ(a->fingerprints[0].hash, "sha-256");
  EXPECT_EQ(a->fingerprints[1].value, "01:02");
}

TEST(IdentityAssertion, ExtensionsAfterASpaceAreIgnored) {
  IdentityProvider idp;
  const auto a = verify_identity(idp.assert_identity("bob", {}) + " ext=1", idp.public_key());
  EXPECT_TRUE(a.ok());
}

TEST(IdentityAssertion, DeeplyNestedOuterJsonIsRefused) {
  IdentityProvider idp;
  const auto a = verify_identity(b64(nested_arrays(10000)), idp.public_key());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "identity assertion nests deeper than 8 levels");
}

TEST(IdentityAssertion, DeeplyNestedAssertionStringIsRefused) {
  IdentityProvider idp;
  const nlohmann::json outer{{"assertion", nested_arrays(10000)}};
  const auto a = verify_identity(b64(outer.dump()), idp.public_key());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "identity assertion nests deeper than 8 levels");
}

TEST(IdentityAssertion, DeeplyNestedSignedContentsAreRefused) {
  // A trusted IdP's signature vouches for the writer, not for the shape.
  SigningKey key;
  const std::string contents = R"({"identity":"bob@idp.sigtrust.test","fingerprint":)" + nested_arrays(10000) + "}";
  const auto a = verify_identity(signed_by(key, contents), key.public_key());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "identity assertion nests deeper than 8 levels");
}

TEST(IdentityAssertion, EightLevelsAreParsedAndNineRefused) {
  IdentityProvider idp;
  const auto eight = verify_identity(b64(nested_arrays(8)), idp.public_key());
  ASSERT_FALSE(eight.ok());
  EXPECT_EQ(eight.error().message, "a=identity does not carry an assertion");
  const auto nine = verify_identity(b64(nested_arrays(9)), idp.public_key());
  ASSERT_FALSE(nine.ok());
  EXPECT_EQ(nine.error().message, "identity assertion nests deeper than 8 levels");
}

TEST(IdentityAssertion, MalformedInputIsAnErrorWithAReason) {
  SigningKey key;
  for (const std::string& value :
       {std::string(""), std::string("!!!"), b64("not json"), b64("[]"), b64(R"({"assertion":1})"),
        b64(R"({"assertion":"{}"})"), signed_by(key, "not json"), signed_by(key, R"({"identity":"x"})"),
        signed_by(key, R"({"identity":"x","fingerprint":[1]})")}) {
    const auto a = verify_identity(value, key.public_key());
    EXPECT_FALSE(a.ok()) << value;
    if (!a.ok()) {
      EXPECT_FALSE(a.error().message.empty());
    }
  }
}

TEST(IdentityAssertion, SignatureOfAnotherKeyIsRefused) {
  IdentityProvider idp, other;
  const auto a = verify_identity(other.assert_identity("bob", {}), idp.public_key());
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("does not verify"), std::string::npos);
}

}  // namespace
}  // namespace sigtrust
