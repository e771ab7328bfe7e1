// Attacks at the TURN and STUN positions, each as a pair under
// sdp-fingerprint and no-verification, asserting outcome and alarms.
#include <gtest/gtest.h>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

RunResult run_position_attack(const std::string& attack, const std::string& trust) {
  auto yaml = testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/" + attack + ".yaml");
  const std::string from = "trust: sdp-fingerprint", to = "trust: " + trust;
  for (size_t pos = 0; (pos = yaml.find(from, pos)) != std::string::npos; pos += to.size())
    yaml.replace(pos, from.size(), to);
  return testing::run(testing::load_yaml(yaml));
}

const SessionResult& only(const RunResult& r) {
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.sessions.size(), 1u);
  return r.sessions.at(0);
}

TEST(TurnAttacks, EavesdropSeesOnlyCiphertext) {
  for (const char* trust : {"sdp-fingerprint", "no-verification"}) {
    const auto r = run_position_attack("turn-eavesdrop", trust);
    const auto& s = only(r);
    EXPECT_EQ(s.outcome, Outcome::Secure) << trust;
    EXPECT_GT(s.attacker.ciphertext_bytes, 0u) << trust;
    EXPECT_TRUE(s.attacker.plaintext_read.empty()) << trust;
    EXPECT_EQ(s.offerer_result.report.selected_pair->local_type, "relay");
    EXPECT_EQ(s.answerer_result.dtls_peer_owner, "alice");
  }
}

TEST(TurnAttacks, MitmIsDetectedBySdpFingerprint) {
  const auto r = run_position_attack("turn-mitm", "sdp-fingerprint");
  const auto& s = only(r);
  EXPECT_EQ(s.outcome, Outcome::Detected);
  // Each end checks the attacker's certificate in its own handshake with the
  // node; the first to refuse sends bye, and the signaling here is honest, so
  // the other end may be told before its own check has run. What holds: at
  // least one end raised exactly this alarm, and each end either raised it or
  // ended because the other hung up; never silence for another reason.
  const std::vector<std::string> mismatch{"fingerprint-mismatch"};
  for (const auto* end : {&s.offerer_result, &s.answerer_result}) {
    if (end->report.alarms == mismatch) EXPECT_EQ(end->dtls_peer_owner, "mallory") << end->report.name;
    else
      EXPECT_TRUE(end->report.alarms.empty() && end->report.failure == "the other side hung up")
          << end->report.name << ": " << end->report.failure;
  }
  EXPECT_TRUE(s.offerer_result.report.alarms == mismatch || s.answerer_result.report.alarms == mismatch);
  EXPECT_TRUE(s.attacker.plaintext_read.empty());
}

TEST(TurnAttacks, MitmIsUndetectedWithoutVerification) {
  const auto r = run_position_attack("turn-mitm", "no-verification");
  const auto& s = only(r);
  EXPECT_EQ(s.outcome, Outcome::MitmUndetected);
  EXPECT_EQ(s.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(s.answerer_result.dtls_peer_owner, "mallory");
  auto read = s.attacker.plaintext_read;
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read, (std::vector<std::string>{"hello alice", "hello bob", "please co-sign tx 4f2a: 1 BTC to bob"}));
  EXPECT_EQ(s.answerer_result.report.received.size(), 2u);
}

TEST(TurnAttacks, TamperEndsWithinTheDeadlineAndTheTimelineSaysWhy) {
  for (const char* trust : {"sdp-fingerprint", "no-verification"}) {
    const auto r = run_position_attack("turn-tamper", trust);
    const auto& s = only(r);
    EXPECT_TRUE(s.outcome == Outcome::Detected || s.outcome == Outcome::Failed)
        << trust << ": " << to_string(s.outcome);
    EXPECT_FALSE(r.deadline_reached) << trust;
    EXPECT_TRUE(testing::has_event(r, "attack.tamper")) << trust;
    EXPECT_NE(s.answerer_result.report.failure.find("DTLS handshake failed"), std::string::npos) << trust;
  }
  const auto checked = run_position_attack("turn-tamper", "sdp-fingerprint");
  EXPECT_EQ(only(checked).answerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  const auto unchecked = run_position_attack("turn-tamper", "no-verification");
  EXPECT_EQ(only(unchecked).outcome, Outcome::Failed);
}

TEST(StunAttacks, LyingStunPutsTheAttackerOnThePathButTheSessionStaysSecure) {
  for (const char* trust : {"sdp-fingerprint", "no-verification"}) {
    const auto r = run_position_attack("stun-lie", trust);
    const auto& s = only(r);
    EXPECT_EQ(s.outcome, Outcome::Secure) << trust;
    EXPECT_TRUE(testing::has_event(r, "stun.lie")) << trust;
    EXPECT_TRUE(testing::has_event(r, "attack.on-path")) << trust;
    EXPECT_GT(s.attacker.ciphertext_bytes, 0u) << trust;
    EXPECT_TRUE(s.attacker.plaintext_read.empty());
    // The selected pair runs through the attacker's forwarding address.
    const std::string attacker = r.network.substr(0, r.network.size() - 4) + "200:";
    EXPECT_EQ(s.offerer_result.report.selected_pair->remote.rfind(attacker, 0), 0u)
        << s.offerer_result.report.selected_pair->remote;
  }
}

}  // namespace
}  // namespace sigtrust
