#include "attacks/sdp_rewrite.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sigtrust::attacks {
namespace {

std::string load_fixture(const std::string& name) {
  const std::string path = std::string(SIGTRUST_TEST_DATA) + "/sdp/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

sdp::Session parse_fixture(const std::string& name) {
  auto s = sdp::parse(load_fixture(name));
  EXPECT_TRUE(s.ok()) << name << ": " << (s.ok() ? "" : s.error().message);
  return s.ok() ? *s : sdp::Session{};
}

const sdp::Fingerprint kMallory256{"sha-256",
                                   "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:"
                                   "55:66:77:88:99"};
const sdp::Fingerprint kMallorySha1{"sha-1", "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67"};

size_t count_named(const std::vector<sdp::Attribute>& attrs, const std::string& name) {
  return static_cast<size_t>(
      std::count_if(attrs.begin(), attrs.end(), [&](const sdp::Attribute& a) { return a.name == name; }));
}

// Every fingerprint line anywhere in the session.
size_t fingerprints_anywhere(const sdp::Session& s) {
  size_t n = count_named(s.attributes, "fingerprint");
  for (const auto& m : s.media) n += count_named(m.attributes, "fingerprint");
  return n;
}

// The session with the named attributes removed at every level.
sdp::Session without(sdp::Session s, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    sdp::remove_all(s, -1, n);
    for (size_t i = 0; i < s.media.size(); ++i) sdp::remove_all(s, static_cast<int>(i), n);
  }
  return s;
}

// ----- set_fingerprints --------------------------------------------------------

TEST(SetFingerprints, ReplacesMediaLevelFingerprintInPlace) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  const sdp::Session before = s;
  set_fingerprints(s, {kMallory256});
  const auto info = sdp::transport_info(s);
  EXPECT_EQ(info.fingerprints, std::vector<sdp::Fingerprint>{kMallory256});
  EXPECT_EQ(count_named(s.attributes, "fingerprint"), 0u);
  ASSERT_EQ(s.media.size(), 1u);
  auto& attrs = s.media[0].attributes;
  EXPECT_EQ(count_named(attrs, "fingerprint"), 1u);
  // Written just before a=setup, as browsers do.
  auto setup = std::find_if(attrs.begin(), attrs.end(), [](const auto& a) { return a.name == "setup"; });
  ASSERT_NE(setup, attrs.begin());
  EXPECT_EQ(std::prev(setup)->name, "fingerprint");
  // Nothing else changed.
  EXPECT_EQ(without(s, {"fingerprint"}), without(before, {"fingerprint"}));
}

TEST(SetFingerprints, StripsEveryFingerprint) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  const sdp::Session before = s;
  set_fingerprints(s, {});
  EXPECT_EQ(fingerprints_anywhere(s), 0u);
  EXPECT_TRUE(sdp::transport_info(s).fingerprints.empty());
  EXPECT_EQ(without(s, {"fingerprint"}), without(before, {"fingerprint"}));

  sdp::Session firefox = parse_fixture("firefox-offer.sdp");
  set_fingerprints(firefox, {});
  EXPECT_EQ(fingerprints_anywhere(firefox), 0u);
}

TEST(SetFingerprints, WritesSeveralInOrder) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  set_fingerprints(s, {kMallory256, kMallorySha1});
  EXPECT_EQ(sdp::transport_info(s).fingerprints, (std::vector<sdp::Fingerprint>{kMallory256, kMallorySha1}));
  EXPECT_EQ(fingerprints_anywhere(s), 2u);
}

TEST(SetFingerprints, SessionLevelFirefoxFingerprintStaysAtSessionLevel) {
  sdp::Session s = parse_fixture("firefox-offer.sdp");
  ASSERT_EQ(count_named(s.attributes, "fingerprint"), 1u);  // the fixture is what this test is about
  ASSERT_EQ(count_named(s.media.at(0).attributes, "fingerprint"), 0u);
  const sdp::Session before = s;
  set_fingerprints(s, {kMallory256});
  EXPECT_EQ(count_named(s.attributes, "fingerprint"), 1u);
  EXPECT_EQ(count_named(s.media[0].attributes, "fingerprint"), 0u);
  EXPECT_EQ(sdp::transport_info(s).fingerprints, std::vector<sdp::Fingerprint>{kMallory256});
  EXPECT_EQ(without(s, {"fingerprint"}), without(before, {"fingerprint"}));
}

TEST(SetFingerprints, BothLevelsCollapseToSessionLevel) {
  sdp::Session s = parse_fixture("firefox-offer.sdp");
  s.media[0].attributes.push_back({"fingerprint", "sha-256 00:11"});
  set_fingerprints(s, {kMallory256});
  EXPECT_EQ(fingerprints_anywhere(s), 1u);
  EXPECT_EQ(count_named(s.attributes, "fingerprint"), 1u);
}

// A browser's call writes a fingerprint in every section (audio, video, the
// data channel); each gets the new ones, else the receiver refuses the
// sections left without (Chromium answered a call's data channel with port 0).
TEST(SetFingerprints, EveryMediaSectionThatHadOneGetsThem) {
  sdp::Session s = parse_fixture("firefox-offer.sdp");
  s.attributes.erase(std::remove_if(s.attributes.begin(), s.attributes.end(),
                                    [](const sdp::Attribute& a) { return a.name == "fingerprint"; }),
                     s.attributes.end());
  s.media.push_back(s.media.at(0));
  s.media.push_back(s.media.at(0));
  for (size_t i = 0; i < 2; ++i) s.media[i].attributes.push_back({"fingerprint", "sha-256 00:11"});
  set_fingerprints(s, {kMallory256, kMallorySha1});
  EXPECT_EQ(count_named(s.attributes, "fingerprint"), 0u);
  for (size_t i = 0; i < 2; ++i) {
    const auto fps = sdp::find_all(s, static_cast<int>(i), "fingerprint");
    ASSERT_EQ(fps.size(), 2u) << "section " << i;
    EXPECT_EQ(fps[0]->value, sdp::format_fingerprint(kMallory256)) << "section " << i;
    EXPECT_EQ(fps[1]->value, sdp::format_fingerprint(kMallorySha1)) << "section " << i;
  }
  EXPECT_EQ(count_named(s.media[2].attributes, "fingerprint"), 0u);  // had none: stays so
}

TEST(SetFingerprints, ResultRoundTripsThroughText) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  set_fingerprints(s, {kMallory256});
  auto again = sdp::parse(sdp::write(s));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, s);
}

// ----- set_transport -----------------------------------------------------------

LocalIce attacker_ice() {
  LocalIce ice;
  ice.ufrag = "MaLl";
  ice.pwd = "malloryspasswordislong22";
  sdp::Candidate c;
  c.foundation = "1";
  c.component = 1;
  c.transport = "UDP";
  c.priority = 2122260223;
  c.address = "127.0.0.4";
  c.port = 40007;
  c.type = "host";
  ice.candidates.push_back(c);
  c.foundation = "2";
  c.port = 40008;
  c.priority = 2122260222;
  ice.candidates.push_back(c);
  return ice;
}

TEST(SetTransport, ReplacesUfragPwdAndCandidatesOnly) {
  for (const char* fixture : {"chromium-offer.sdp", "firefox-offer.sdp"}) {
    SCOPED_TRACE(fixture);
    sdp::Session s = parse_fixture(fixture);
    const sdp::Session before = s;
    const LocalIce ice = attacker_ice();
    set_transport(s, ice);
    const auto info = sdp::transport_info(s);
    EXPECT_EQ(info.ice_ufrag, ice.ufrag);
    EXPECT_EQ(info.ice_pwd, ice.pwd);
    EXPECT_EQ(info.candidates, ice.candidates);
    EXPECT_TRUE(info.bad_candidates.empty());
    // Fingerprint, setup, mid and everything else untouched, in order.
    const auto before_info = sdp::transport_info(before);
    EXPECT_EQ(info.fingerprints, before_info.fingerprints);
    EXPECT_EQ(info.setup, before_info.setup);
    EXPECT_EQ(info.mid, before_info.mid);
    EXPECT_EQ(info.end_of_candidates, before_info.end_of_candidates);
    const std::vector<std::string> transport = {"ice-ufrag", "ice-pwd", "candidate"};
    EXPECT_EQ(without(s, transport), without(before, transport));
  }
}

TEST(SetTransport, CandidatesGoBeforeEndOfCandidates) {
  sdp::Session s = parse_fixture("firefox-offer.sdp");
  set_transport(s, attacker_ice());
  const auto& attrs = s.media.at(0).attributes;
  auto eoc = std::find_if(attrs.begin(), attrs.end(), [](const auto& a) { return a.name == "end-of-candidates"; });
  ASSERT_NE(eoc, attrs.end());
  for (auto it = eoc; it != attrs.end(); ++it) EXPECT_NE(it->name, "candidate");
  ASSERT_NE(eoc, attrs.begin());
  EXPECT_EQ(std::prev(eoc)->name, "candidate");
}

TEST(SetTransport, EmptyCandidateListRemovesThem) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  LocalIce ice = attacker_ice();
  ice.candidates.clear();
  set_transport(s, ice);
  EXPECT_TRUE(sdp::transport_info(s).candidates.empty());
  EXPECT_EQ(sdp::transport_info(s).ice_ufrag, ice.ufrag);
}

// ----- set_setup ---------------------------------------------------------------

TEST(SetSetup, ReplacesSetupWhereItAppears) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  const sdp::Session before = s;
  set_setup(s, "active");
  EXPECT_EQ(sdp::transport_info(s).setup, "active");
  EXPECT_EQ(count_named(s.media.at(0).attributes, "setup"), 1u);
  EXPECT_EQ(count_named(s.attributes, "setup"), 0u);  // not added where there was none
  EXPECT_EQ(without(s, {"setup"}), without(before, {"setup"}));
}

TEST(SetSetup, ReplacesAtBothLevels) {
  sdp::Session s = parse_fixture("chromium-offer.sdp");
  s.attributes.push_back({"setup", "actpass"});
  set_setup(s, "passive");
  ASSERT_EQ(sdp::find_all(s, -1, "setup").size(), 1u);
  EXPECT_EQ(sdp::find_all(s, -1, "setup")[0]->value, "passive");
  ASSERT_EQ(sdp::find_all(s, 0, "setup").size(), 1u);
  EXPECT_EQ(sdp::find_all(s, 0, "setup")[0]->value, "passive");
}

// ----- SdpRewriter ---------------------------------------------------------------

RelayedMessage relayed(std::string text) { return RelayedMessage{"/room", 0, "alice", "bob", std::move(text)}; }

std::string message(SignalingMessage::Type type, const std::string& sdp = {}) {
  SignalingMessage m;
  m.type = type;
  m.sdp = sdp;
  if (type == SignalingMessage::Type::Candidate)
    m.candidate = {{"candidate", "candidate:1 1 udp 1 127.0.0.2 1 typ host"}};
  return serialize(m);
}

size_t events_of(const Timeline& t, const std::string& kind) {
  return static_cast<size_t>(
      std::count_if(t.events().begin(), t.events().end(), [&](const TimelineEvent& e) { return e.kind == kind; }));
}

class SdpRewriterTest : public ::testing::Test {
 protected:
  SdpRewriter rewriter(bool offers, bool answers) {
    return SdpRewriter(timeline_, "mallory", offers, answers,
                       [this](sdp::Session& s, const RelayedMessage&, SignalingMessage::Type) {
                         ++edits_;
                         set_fingerprints(s, {kMallory256});
                       });
  }
  Deliver collect() {
    return [this](std::string text) { delivered_.push_back(std::move(text)); };
  }

  Timeline timeline_;
  int edits_ = 0;
  std::vector<std::string> delivered_;
};

TEST_F(SdpRewriterTest, PassesNonOfferMessagesUnchanged) {
  auto r = rewriter(/*offers=*/true, /*answers=*/false);
  const std::string chromium = load_fixture("chromium-offer.sdp");
  const std::vector<std::string> inputs = {
      message(SignalingMessage::Type::Ready), message(SignalingMessage::Type::Candidate),
      message(SignalingMessage::Type::Bye), message(SignalingMessage::Type::Answer, chromium), "not JSON at all"};
  for (const auto& text : inputs) r.on_message(relayed(text), collect());
  EXPECT_EQ(delivered_, inputs);
  EXPECT_EQ(edits_, 0);
  EXPECT_TRUE(timeline_.events().empty());
}

TEST_F(SdpRewriterTest, RewritesOfferAndRecordsBeforeAndAfter) {
  auto r = rewriter(true, false);
  const std::string original = load_fixture("chromium-offer.sdp");
  r.on_message(relayed(message(SignalingMessage::Type::Offer, original)), collect());
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(edits_, 1);
  auto out = parse_signaling(delivered_[0]);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->type, SignalingMessage::Type::Offer);
  auto session = sdp::parse(out->sdp);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(sdp::transport_info(*session).fingerprints, std::vector<sdp::Fingerprint>{kMallory256});

  ASSERT_EQ(events_of(timeline_, "attack.rewrite"), 1u);
  const TimelineEvent& e = timeline_.events().back();
  EXPECT_EQ(e.actor, "mallory");
  ASSERT_TRUE(e.data.is_object());
  EXPECT_EQ(e.data.at("before"), original);
  EXPECT_EQ(e.data.at("after"), out->sdp);
  EXPECT_EQ(e.data.at("from"), "alice");
  EXPECT_EQ(e.data.at("to"), "bob");
}

TEST_F(SdpRewriterTest, RewritesAnswersOnlyWhenAsked) {
  const std::string sdp_text = load_fixture("chromium-offer.sdp");
  const std::string answer = message(SignalingMessage::Type::Answer, sdp_text);
  const std::string offer = message(SignalingMessage::Type::Offer, sdp_text);
  auto r = rewriter(false, true);
  r.on_message(relayed(offer), collect());
  r.on_message(relayed(answer), collect());
  ASSERT_EQ(delivered_.size(), 2u);
  EXPECT_EQ(delivered_[0], offer);  // offers not targeted
  EXPECT_NE(delivered_[1], answer);
  EXPECT_EQ(parse_signaling(delivered_[1])->type, SignalingMessage::Type::Answer);
  EXPECT_EQ(edits_, 1);
  EXPECT_EQ(events_of(timeline_, "attack.rewrite"), 1u);
}

TEST_F(SdpRewriterTest, UnparsableSdpIsPassedUnchangedAndNoted) {
  auto r = rewriter(true, true);
  const std::string text = message(SignalingMessage::Type::Offer, "this is not SDP");
  r.on_message(relayed(text), collect());
  EXPECT_EQ(delivered_, std::vector<std::string>{text});
  EXPECT_EQ(edits_, 0);
  EXPECT_EQ(events_of(timeline_, "attack.skipped"), 1u);
  EXPECT_EQ(events_of(timeline_, "attack.rewrite"), 0u);
}

}  // namespace
}  // namespace sigtrust::attacks
