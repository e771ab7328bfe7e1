// The line rules of attack sdp-rules, as pure functions of SDP text.
#include "attacks/sdp_rules.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/sdp.hpp"

namespace sigtrust::attacks {
namespace {

using Type = SignalingMessage::Type;

std::string chromium_offer() {
  std::ifstream in(std::string(SIGTRUST_TEST_DATA) + "/sdp/chromium-offer.sdp", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

scenario::SdpRule rule(std::string match, std::string replace, bool offer = true, bool answer = true) {
  scenario::SdpRule r;
  r.match = std::move(match);
  r.replace = std::move(replace);
  r.offer = offer;
  r.answer = answer;
  return r;
}

const std::string kMallory =
    "sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:"
    "55:66:77:88:99";
const sdp::Fingerprint kMalloryFp = *sdp::parse_fingerprint(kMallory);

TEST(SdpRules, EmptiedLinesAreRemovedAndTheRestIsUnchanged) {
  const std::string offer = chromium_offer();
  ASSERT_NE(offer.find("a=fingerprint:"), std::string::npos);
  const SdpRules rules({rule("^a=fingerprint:.*$", "")}, kMalloryFp);
  const std::string out = rules.apply(offer, Type::Offer);
  EXPECT_EQ(out.find("a=fingerprint:"), std::string::npos);
  auto parsed = sdp::parse(out);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(sdp::transport_info(*parsed).fingerprints.empty());
  // Everything else is as it was: the original minus the fingerprint line.
  std::string expected = offer;
  const auto at = expected.find("a=fingerprint:");
  expected.erase(at, expected.find('\n', at) + 1 - at);
  EXPECT_EQ(out, expected);
}

TEST(SdpRules, PlaceholderAndCaptureGroupsAreFilledIn) {
  const SdpRules rules({rule("^(a=fingerprint:).*$", "$1{attacker-fingerprint}")}, kMalloryFp);
  auto parsed = sdp::parse(rules.apply(chromium_offer(), Type::Offer));
  ASSERT_TRUE(parsed.ok());
  const auto fps = sdp::transport_info(*parsed).fingerprints;
  ASSERT_EQ(fps.size(), 1u);
  EXPECT_EQ(sdp::format_fingerprint(fps[0]), kMallory);
}

TEST(SdpRules, ApplyOnlyToTheMessagesTheyNameInOrder) {
  const std::string sdp = "v=0\r\na=setup:actpass\r\na=x:1\r\n";
  const SdpRules answer_only({rule("^a=setup:.*", "a=setup:passive", false, true)}, kMalloryFp);
  EXPECT_FALSE(answer_only.applies_to(Type::Offer));
  EXPECT_TRUE(answer_only.applies_to(Type::Answer));
  EXPECT_EQ(answer_only.apply(sdp, Type::Offer), sdp);
  EXPECT_EQ(answer_only.apply(sdp, Type::Answer), "v=0\r\na=setup:passive\r\na=x:1\r\n");
  // The second rule sees what the first wrote.
  const SdpRules chained({rule("a=x:1", "a=x:2"), rule("a=x:2", "a=y:3")}, kMalloryFp);
  EXPECT_EQ(chained.apply(sdp, Type::Offer), "v=0\r\na=setup:actpass\r\na=y:3\r\n");
}

TEST(SdpRules, BareLineFeedsBecomeCrlfAndLongLinesAreLeftAlone) {
  const std::string long_line = "a=z:" + std::string(5000, 'q');
  const SdpRules rules({rule("q", "")}, kMalloryFp);
  EXPECT_EQ(rules.apply("v=0\na=q:1\n" + long_line + "\n", Type::Offer), "v=0\r\na=:1\r\n" + long_line + "\r\n");
}

}  // namespace
}  // namespace sigtrust::attacks
