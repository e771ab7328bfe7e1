// Every signaling attack as a clean/tampered pair (docs/architecture.md, convention 11), under
// sdp-fingerprint and under no-verification, asserting the exact outcome and
// the exact alarms each victim raised.
#include <gtest/gtest.h>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

using testing::has_event;
using testing::load_yaml;
using testing::run;
using testing::two_peer_yaml;

struct Case {
  std::string name;  // test name
  std::string relay;  // YAML value of relay:
  std::string trust;
  Outcome outcome;
  std::vector<std::string> alice_alarms, bob_alarms;
  bool bridged;  // the attacker terminated DTLS toward both victims
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"none_sdp_fingerprint", "honest", "sdp-fingerprint", Outcome::Secure, {}, {}, false},
      {"none_no_verification", "honest", "no-verification", Outcome::Secure, {}, {}, false},
      {"swap_sdp_fingerprint", "{attack: swap-mitm}", "sdp-fingerprint", Outcome::MitmUndetected, {}, {}, true},
      {"swap_no_verification", "{attack: swap-mitm}", "no-verification", Outcome::MitmUndetected, {}, {}, true},
      // RFC 8122 §5: a missing fingerprint is refused. Each victim checks the
      // attacker's certificate, so both raise the alarm.
      {"strip_sdp_fingerprint",
       "{attack: strip-mitm}",
       "sdp-fingerprint",
       Outcome::Detected,
       {"fingerprint-missing"},
       {"fingerprint-missing"},
       false},
      {"strip_no_verification", "{attack: strip-mitm}", "no-verification", Outcome::MitmUndetected, {}, {}, true},
      // RFC 8122 §5 accepts a match with any fingerprint of the most preferred
      // hash: an appended one passes.
      {"append_sdp_fingerprint", "{attack: append-mitm}", "sdp-fingerprint", Outcome::MitmUndetected, {}, {}, true},
      {"append_no_verification", "{attack: append-mitm}", "no-verification", Outcome::MitmUndetected, {}, {}, true},
      // prepend-mitm: RFC 8122 §5 looks at every line of the preferred hash.
      {"prepend_sdp_fingerprint", "{attack: prepend-mitm}", "sdp-fingerprint", Outcome::MitmUndetected, {}, {}, true},
      // A stack that keeps one line: the attacker puts its line where that stack looks.
      {"append_first_line",
       "{attack: append-mitm}",
       "sdp-fingerprint-first",
       Outcome::Detected,
       {"fingerprint-mismatch"},
       {"fingerprint-mismatch"},
       false},
      {"append_last_line", "{attack: append-mitm}", "sdp-fingerprint-last", Outcome::MitmUndetected, {}, {}, true},
      {"prepend_first_line", "{attack: prepend-mitm}", "sdp-fingerprint-first", Outcome::MitmUndetected, {}, {}, true},
      {"prepend_last_line",
       "{attack: prepend-mitm}",
       "sdp-fingerprint-last",
       Outcome::Detected,
       {"fingerprint-mismatch"},
       {"fingerprint-mismatch"},
       false},
      // A real downgrade keeps the sha-256 line: RFC 8122 §5 checks the most
      // preferred hash and refuses the attacker; a match under any hash passes.
      {"downgrade_sha1_sdp_fingerprint",
       "{attack: downgrade-mitm, params: {hash: sha-1}}",
       "sdp-fingerprint",
       Outcome::Detected,
       {"fingerprint-mismatch"},
       {"fingerprint-mismatch"},
       false},
      {"downgrade_sha1_sdp_fingerprint_any",
       "{attack: downgrade-mitm, params: {hash: sha-1}}",
       "sdp-fingerprint-any",
       Outcome::MitmUndetected,
       {},
       {},
       true},
      {"downgrade_md5_sdp_fingerprint",
       "{attack: downgrade-mitm, params: {hash: md5}}",
       "sdp-fingerprint",
       Outcome::Detected,
       {"fingerprint-mismatch"},
       {"fingerprint-mismatch"},
       false},
      {"downgrade_md5_sdp_fingerprint_any",
       "{attack: downgrade-mitm, params: {hash: md5}}",
       "sdp-fingerprint-any",
       Outcome::MitmUndetected,
       {},
       {},
       true},
      {"downgrade_md5_no_verification",
       "{attack: downgrade-mitm, params: {hash: md5}}",
       "no-verification",
       Outcome::MitmUndetected,
       {},
       {},
       true},
      // hash-swap-mitm: only the attacker's line, under another hash. SHA-1 is
      // not banned by RFC 8122; MD5 is.
      {"hash_swap_sha1_sdp_fingerprint",
       "{attack: hash-swap-mitm, params: {hash: sha-1}}",
       "sdp-fingerprint",
       Outcome::MitmUndetected,
       {},
       {},
       true},
      {"hash_swap_md5_sdp_fingerprint",
       "{attack: hash-swap-mitm, params: {hash: md5}}",
       "sdp-fingerprint",
       Outcome::Detected,
       {"fingerprint-weak-hash"},
       {"fingerprint-weak-hash"},
       false},
      // No bridge: bob (the DTLS client) sees alice's real certificate, which
      // does not match the forged fingerprint, and aborts first.
      {"fingerprint_only_sdp_fingerprint",
       "{attack: fingerprint-only}",
       "sdp-fingerprint",
       Outcome::Detected,
       {},
       {"fingerprint-mismatch"},
       false},
      {"fingerprint_only_no_verification",
       "{attack: fingerprint-only}",
       "no-verification",
       Outcome::Secure,
       {},
       {},
       false},
      // Both ends become DTLS clients: a denial of service nobody is warned of.
      {"setup_flip_sdp_fingerprint", "{attack: setup-flip}", "sdp-fingerprint", Outcome::Failed, {}, {}, false},
      {"setup_flip_no_verification", "{attack: setup-flip}", "no-verification", Outcome::Failed, {}, {}, false},
      {"drop_answer_sdp_fingerprint", "{attack: drop-answer}", "sdp-fingerprint", Outcome::Failed, {}, {}, false},
      {"drop_answer_no_verification", "{attack: drop-answer}", "no-verification", Outcome::Failed, {}, {}, false},
  };
  return all;
}

class SignalingAttack : public ::testing::TestWithParam<Case> {};

TEST_P(SignalingAttack, EndsWithTheExactOutcomeAndAlarms) {
  const Case& c = GetParam();
  const auto r = run(load_yaml(two_peer_yaml(c.trust, c.relay, std::string(to_string(c.outcome)))));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, c.outcome) << to_string(s.outcome);
  EXPECT_TRUE(s.pass);
  EXPECT_FALSE(r.deadline_reached) << "every attack here ends on its own, before the deadline";
  EXPECT_EQ(s.offerer_result.report.alarms, c.alice_alarms);
  EXPECT_EQ(s.answerer_result.report.alarms, c.bob_alarms);
  if (c.bridged) {
    // Ground truth: both victims talked to the attacker, who read everything
    // and passed it on.
    EXPECT_EQ(s.offerer_result.dtls_peer_owner, "mallory");
    EXPECT_EQ(s.answerer_result.dtls_peer_owner, "mallory");
    auto read = s.attacker.plaintext_read;
    std::sort(read.begin(), read.end());
    EXPECT_EQ(read, (std::vector<std::string>{"co-sign tx 4f2a: 1 BTC to bob", "hello alice", "hello bob"}));
    EXPECT_EQ(s.answerer_result.report.received,
              (std::vector<std::string>{"hello bob", "co-sign tx 4f2a: 1 BTC to bob"}));
    EXPECT_EQ(s.offerer_result.report.received, std::vector<std::string>{"hello alice"});
    EXPECT_GT(s.attacker.ciphertext_bytes, 0u);
  } else {
    EXPECT_TRUE(s.attacker.plaintext_read.empty());
  }
  if (c.relay != "honest") {
    EXPECT_TRUE(has_event(r, "attack.rewrite") || has_event(r, "attack.dropped"));
  }
}

INSTANTIATE_TEST_SUITE_P(AllSignalingAttacks, SignalingAttack, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

TEST(SignalingAttacks, SetupFlipTimelineShowsBothEndsAsDtlsClients) {
  const auto r = run(load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: setup-flip}", "failed")));
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].offerer_result.report.dtls_role, DtlsRole::Client);
  EXPECT_EQ(r.sessions[0].answerer_result.report.dtls_role, DtlsRole::Client);
  auto rewrite = std::find_if(r.timeline.begin(), r.timeline.end(),
                              [](const TimelineEvent& e) { return e.kind == "attack.rewrite"; });
  ASSERT_NE(rewrite, r.timeline.end());
  EXPECT_NE(rewrite->data["before"].get<std::string>().find("a=setup:active"), std::string::npos);
  EXPECT_NE(rewrite->data["after"].get<std::string>().find("a=setup:passive"), std::string::npos);
  EXPECT_NE(r.sessions[0].offerer_result.report.failure.find("DTLS handshake failed"), std::string::npos);
}

TEST(SignalingAttacks, DropAnswerTimelineSaysTheAnswerWasDropped) {
  const auto r = run(load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: drop-answer}", "failed")));
  EXPECT_TRUE(has_event(r, "attack.dropped"));
  EXPECT_FALSE(has_event(r, "signaling.answer-received"));
  EXPECT_FALSE(r.deadline_reached);
}

// Only alice compares the short authentication string; bob never does, so she
// waits for the users until the deadline. What the run saw by then
// (mitm-undetected) is no finding: the comparison could still have raised
// the alarm. The session says it was cut, and what it was waiting for.
TEST(SignalingAttacks, SessionCutByTheDeadlineIsProvisionalAndFails) {
  const std::string yaml =
      "name: t\ndeadline_ms: 6000\npeers:\n  - {name: alice, trust: sas}\n  - {name: bob, trust: sdp-fingerprint}\n"
      "relay: {attack: swap-mitm}\nsessions:\n  - {offerer: alice, answerer: bob, out_of_band: true, expect: "
      "mitm-undetected, messages: [{from: alice, text: hi}]}\n";
  const auto r = run(load_yaml(yaml));
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_TRUE(r.deadline_reached);
  EXPECT_EQ(r.deadline_ms, 6000u);
  EXPECT_EQ(s.cut, CutBy::Deadline);
  EXPECT_NE(s.waiting_for.find("alice was waiting for the users' out-of-band comparison"), std::string::npos)
      << s.waiting_for;
  EXPECT_FALSE(s.pass) << "outcome " << to_string(s.outcome) << " is provisional";
  EXPECT_FALSE(all_passed(r));
}

TEST(SignalingAttacks, SettledSessionsAreNotCut) {
  const auto r = run(load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected")));
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].cut, CutBy::None);
  EXPECT_TRUE(r.sessions[0].waiting_for.empty());
  EXPECT_TRUE(r.sessions[0].pass);
}

TEST(SignalingAttacks, BridgeRewritesApplicationDataInFlight) {
  auto yaml = two_peer_yaml("sdp-fingerprint",
                            "{attack: swap-mitm, rewrite: [{from: \"1 BTC to bob\", to: \"1 BTC to mallory\"}]}",
                            "mitm-undetected");
  const auto r = run(load_yaml(yaml));
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& bob = r.sessions[0].answerer_result.report;
  EXPECT_EQ(bob.received, (std::vector<std::string>{"hello bob", "co-sign tx 4f2a: 1 BTC to mallory"}));
  ASSERT_EQ(r.sessions[0].attacker.rewritten.size(), 1u);
}

TEST(SignalingAttacks, SwapMitmRewritesCredentialsCandidatesAndFingerprint) {
  const auto r = run(load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected")));
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& alice = r.sessions[0].offerer_result.report;
  const auto& bob = r.sessions[0].answerer_result.report;
  auto parse_info = [](const std::string& text) { return sdp::transport_info(*sdp::parse(text)); };
  const auto sent = parse_info(alice.sdp_sent);
  const auto got = parse_info(bob.sdp_received);
  EXPECT_NE(sent.ice_ufrag, got.ice_ufrag);
  EXPECT_NE(sent.ice_pwd, got.ice_pwd);
  ASSERT_EQ(got.fingerprints.size(), 1u);
  EXPECT_NE(sent.fingerprints[0], got.fingerprints[0]);
  ASSERT_FALSE(got.candidates.empty());
  EXPECT_NE(sent.candidates[0].address, got.candidates[0].address);  // the attacker's own address
  EXPECT_EQ(bob.selected_pair->remote.substr(0, bob.selected_pair->remote.find(':')), got.candidates[0].address);
}

// Names are the interface: the shipped swap-mitm scenario runs any attack by
// changing only the name.
TEST(SignalingAttacks, ChangingOnlyTheAttackNameRunsThatAttack) {
  const std::string text = testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/swap-mitm.yaml");
  for (const auto& plugin : attacks::registry()) {
    // sdp-rules needs its rules besides its name (SdpRulesScenarios below).
    if (plugin.decl.position != AttackPosition::Signaling || plugin.decl.declarative) continue;
    std::string yaml = text;
    const auto pos = yaml.find("attack: swap-mitm");
    ASSERT_NE(pos, std::string::npos);
    yaml.replace(pos, 17, "attack: " + plugin.decl.name);
    const auto r = run(load_yaml(yaml));
    EXPECT_EQ(r.attack, plugin.decl.name);
    ASSERT_EQ(r.sessions.size(), 1u);
    EXPECT_TRUE(r.error.empty());
    EXPECT_NE(r.sessions[0].outcome, Outcome::Error);
    const bool touched = has_event(r, "attack.rewrite") || has_event(r, "attack.dropped");
    EXPECT_TRUE(touched) << plugin.decl.name << " left no trace in the timeline";
  }
}

// sdp-rules: the two worked examples of docs/attacks.md, each a shipped
// scenario file, as a pair with the clean run (the same file, relay honest).
scenario::Scenario catalogue(const std::string& name) {
  return load_yaml(testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/" + name + ".yaml"));
}

TEST(SdpRulesScenarios, CleanRunOfTheSameFileIsSecure) {
  for (const char* name : {"sdp-rules-strip", "sdp-rules-swap"}) {
    auto s = catalogue(name);
    s.attack = scenario::AttackSpec{};
    s.sessions[0].expect = "secure";
    const auto r = run(s);
    ASSERT_EQ(r.sessions.size(), 1u);
    EXPECT_EQ(r.sessions[0].outcome, Outcome::Secure) << name;
    EXPECT_EQ(r.sessions[0].offerer_result.dtls_peer_owner, "bob");
    EXPECT_EQ(r.sessions[0].answerer_result.dtls_peer_owner, "alice");
  }
}

// A rule that deletes every a=fingerprint line, no bridge: the peers reach
// each other and RFC 8122 §5 refuses the missing fingerprint (the DTLS client
// bob checks first; alice then sees the handshake aborted).
TEST(SdpRulesScenarios, StripRuleWithoutBridgeIsDetectedAsFingerprintMissing) {
  const auto r = run(catalogue("sdp-rules-strip"));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Detected) << to_string(s.outcome);
  EXPECT_TRUE(s.pass);
  EXPECT_FALSE(r.deadline_reached);
  EXPECT_EQ(s.offerer_result.report.alarms, std::vector<std::string>{});
  EXPECT_EQ(s.answerer_result.report.alarms, std::vector<std::string>{"fingerprint-missing"});
  EXPECT_EQ(s.answerer_result.dtls_peer_owner, "alice") << "no bridge: bob's DTLS layer saw alice's certificate";
  EXPECT_TRUE(s.attacker.plaintext_read.empty());
  // Both SDPs went out without a fingerprint.
  int rewrites = 0;
  for (const auto& e : r.timeline)
    if (e.kind == "attack.rewrite") {
      ++rewrites;
      EXPECT_NE(e.data.at("before").get<std::string>().find("a=fingerprint:"), std::string::npos);
      EXPECT_EQ(e.data.at("after").get<std::string>().find("a=fingerprint:"), std::string::npos);
    }
  EXPECT_EQ(rewrites, 2);
}

// A rule that writes the attacker's fingerprint, with the bridge: swap-mitm's
// outcome, with the ground truth from the DTLS layers (both saw mallory).
TEST(SdpRulesScenarios, SwapRuleWithBridgeIsTheSwapMitmResult) {
  const auto r = run(catalogue("sdp-rules-swap"));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::MitmUndetected) << to_string(s.outcome);
  EXPECT_TRUE(s.pass);
  EXPECT_FALSE(r.deadline_reached);
  EXPECT_TRUE(s.offerer_result.report.alarms.empty());
  EXPECT_TRUE(s.answerer_result.report.alarms.empty());
  EXPECT_EQ(s.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(s.answerer_result.dtls_peer_owner, "mallory");
  auto read = s.attacker.plaintext_read;
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, (std::vector<std::string>{"hello alice", "hello bob", "please co-sign tx 4f2a: 1 BTC to bob"}));
  // Compared with swap-mitm itself on the same file: the same outcome and alarms.
  std::string yaml = testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/sdp-rules-swap.yaml");
  yaml = yaml.substr(0, yaml.find("relay:")) + "relay: {attack: swap-mitm}\n" + yaml.substr(yaml.find("sessions:"));
  const auto swap = run(load_yaml(yaml));
  ASSERT_EQ(swap.sessions.size(), 1u);
  EXPECT_EQ(swap.sessions[0].outcome, s.outcome);
  EXPECT_EQ(swap.sessions[0].offerer_result.report.alarms, s.offerer_result.report.alarms);
  EXPECT_EQ(swap.sessions[0].answerer_result.report.alarms, s.answerer_result.report.alarms);
}

// The rules write text; who the peers authenticated comes from DTLS. A
// bridge whose rules leave the victims' fingerprints in place is in the path
// with its own certificate, and the SDP check catches it.
TEST(SdpRulesScenarios, BridgeThatKeepsTheRealFingerprintsIsDetectedByTheDtlsLayer) {
  const auto r = run(load_yaml(two_peer_yaml(
      "sdp-fingerprint", "{attack: sdp-rules, params: {bridge: true}, sdp_rules: [{match: '^s=.*', replace: 's=-'}]}",
      "detected")));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Detected) << to_string(s.outcome);
  EXPECT_EQ(s.offerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  EXPECT_EQ(s.answerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  EXPECT_TRUE(s.attacker.plaintext_read.empty());
}

// sas-grind-mitm: the attacker, DTLS client toward alice, grinds key shares
// until alice's SAS equals bob's. `bits`: the SAS length of both the users'
// app and the attacker's search.
std::string grind_yaml(unsigned bits, unsigned budget, const std::string& expect) {
  const std::string b = std::to_string(bits);
  return "name: t\ndeadline_ms: 15000\npeers:\n"
         "  - {name: alice, trust: sas, params: {bits: " +
         b +
         "}}\n"
         "  - {name: bob, trust: sas, params: {bits: " +
         b +
         "}}\n"
         "relay: {attack: sas-grind-mitm, params: {budget: " +
         std::to_string(budget) + ", sas-bits: " + b +
         "}}\n"
         "sessions:\n  - offerer: alice\n    answerer: bob\n    out_of_band: true\n    expect: " +
         expect + "\n    messages:\n      - {from: alice, text: hello bob}\n      - {from: bob, text: hello alice}\n";
}

// A 5-bit SAS has 32 values: about 32 tries on average, and 2000 leave a miss
// with probability (31/32)^2000, about 3e-28.
TEST(SasGrind, AShortSasFallsWithinTheBudgetAndNobodyIsWarned) {
  const auto r = run(load_yaml(grind_yaml(5, 2000, "mitm-undetected")));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::MitmUndetected) << to_string(s.outcome);
  EXPECT_TRUE(s.pass);
  EXPECT_TRUE(s.offerer_result.report.alarms.empty());
  EXPECT_TRUE(s.answerer_result.report.alarms.empty());
  EXPECT_TRUE(s.attacker.grind_matched);
  EXPECT_GE(s.attacker.grind_tries, 1u);
  EXPECT_LE(s.attacker.grind_tries, 2000u);
  EXPECT_EQ(s.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(s.answerer_result.dtls_peer_owner, "mallory");
  auto read = s.attacker.plaintext_read;
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, (std::vector<std::string>{"hello alice", "hello bob"}));
  EXPECT_TRUE(has_event(r, "attack.grind"));
}

// A 20-bit SAS against 16 tries: each try matches with probability 2^-20, so
// the users see different strings (all 16 miss with probability 1 - 1.5e-5).
TEST(SasGrind, ATwentyBitSasHoldsAgainstASmallBudget) {
  const auto r = run(load_yaml(grind_yaml(20, 16, "detected")));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Detected) << to_string(s.outcome);
  EXPECT_TRUE(s.pass);
  EXPECT_EQ(s.offerer_result.report.alarms, std::vector<std::string>{"sas-mismatch"});
  EXPECT_EQ(s.answerer_result.report.alarms, std::vector<std::string>{"sas-mismatch"});
  EXPECT_FALSE(s.attacker.grind_matched);
  EXPECT_EQ(s.attacker.grind_tries, 16u);
  EXPECT_TRUE(s.attacker.plaintext_read.empty());
}

// The pair's clean half: the same users with no attacker read the same string.
TEST(SasGrind, TheSameUsersWithoutAnAttackerMatch) {
  auto yaml = grind_yaml(20, 16, "secure");
  yaml.replace(yaml.find("relay: {attack: sas-grind-mitm"),
               std::string("relay: {attack: sas-grind-mitm, params: {budget: 16, sas-bits: 20}}").size(),
               "relay: honest");
  const auto r = run(load_yaml(yaml));
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::Secure) << to_string(r.sessions[0].outcome);
  EXPECT_TRUE(r.sessions[0].offerer_result.report.alarms.empty());
}

}  // namespace
}  // namespace sigtrust
