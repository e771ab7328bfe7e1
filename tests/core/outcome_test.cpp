#include "core/outcome.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace sigtrust {
namespace {

// An end that completed DTLS with `owner` and went on to exchange data.
EndTruth in_data_with(const std::string& owner, const std::string& intended) {
  EndTruth e;
  e.handshake_done = true;
  e.entered_data_phase = true;
  e.dtls_peer_owner = owner;
  e.intended_peer = intended;
  return e;
}

// An end that never got to the data phase.
EndTruth never_connected(const std::string& intended) {
  EndTruth e;
  e.intended_peer = intended;
  return e;
}

// ----- docs/architecture.md's outcome table, one row per test -------------------------

TEST(Classify, SecureWhenBothEndsTalkToTheirIntendedPeerWithoutAlarm) {
  SessionTruth t;
  t.offerer = in_data_with("bob", "bob");
  t.answerer = in_data_with("alice", "alice");
  EXPECT_EQ(classify(t), Outcome::Secure);
}

TEST(Classify, MitmUndetectedWhenBothEndsTalkToTheAttackerWithoutAlarm) {
  SessionTruth t;
  t.offerer = in_data_with("mallory", "bob");
  t.answerer = in_data_with("mallory", "alice");
  t.attacker_read_plaintext = true;
  EXPECT_EQ(classify(t), Outcome::MitmUndetected);
}

TEST(Classify, MitmDetectedLateWhenCompromisedEndsRaisedAnAlarmButCarriedOn) {
  SessionTruth t;
  t.offerer = in_data_with("mallory", "bob");
  t.offerer.alarms = {"fingerprint-mismatch"};
  t.answerer = in_data_with("mallory", "alice");
  t.attacker_read_plaintext = true;
  EXPECT_EQ(classify(t), Outcome::MitmDetectedLate);
}

TEST(Classify, DetectedWhenNotConnectedAndAnAlarmWasRaised) {
  SessionTruth t;
  t.offerer = never_connected("bob");
  t.offerer.alarms = {"fingerprint-mismatch"};
  t.answerer = never_connected("alice");
  EXPECT_EQ(classify(t), Outcome::Detected);
}

TEST(Classify, DetectedWhenHandshakeDoneButTornDownBeforeDataWithAlarm) {
  SessionTruth t;
  t.offerer = never_connected("bob");
  t.offerer.handshake_done = true;
  t.offerer.dtls_peer_owner = "mallory";
  t.offerer.alarms = {"sas-mismatch"};
  t.answerer = never_connected("alice");
  t.answerer.handshake_done = true;
  t.answerer.dtls_peer_owner = "mallory";
  EXPECT_EQ(classify(t), Outcome::Detected);
}

TEST(Classify, FailedWhenNotConnectedAndNoAlarm) {
  SessionTruth t;
  t.offerer = never_connected("bob");
  t.answerer = never_connected("alice");
  EXPECT_EQ(classify(t), Outcome::Failed);
}

// ----- Further cases the brief names ---------------------------------------

TEST(Classify, OneEndCompromisedWhileTheOtherFailedIsMitmUndetected) {
  SessionTruth t;
  t.offerer = in_data_with("mallory", "bob");
  t.answerer = never_connected("alice");
  EXPECT_EQ(classify(t), Outcome::MitmUndetected);
}

TEST(Classify, OneEndCompromisedWhileTheOtherFailedWithAlarmIsMitmDetectedLate) {
  SessionTruth t;
  t.offerer = never_connected("bob");
  t.offerer.alarms = {"fingerprint-mismatch"};
  t.answerer = in_data_with("mallory", "alice");
  EXPECT_EQ(classify(t), Outcome::MitmDetectedLate);
}

TEST(Classify, AlarmsWithBothEndsIntactIsSecure) {
  // docs/architecture.md: secure allows "a harmless one, listed".
  SessionTruth t;
  t.offerer = in_data_with("bob", "bob");
  t.offerer.alarms = {"harmless"};
  t.answerer = in_data_with("alice", "alice");
  t.answerer.alarms = {"also-harmless"};
  EXPECT_EQ(classify(t), Outcome::Secure);
}

TEST(Classify, SimulatorErrorIsErrorWhateverElseHappened) {
  SessionTruth t;
  t.offerer = in_data_with("mallory", "bob");
  t.answerer = in_data_with("mallory", "alice");
  t.simulator_error = true;
  EXPECT_EQ(classify(t), Outcome::Error);

  SessionTruth secure;
  secure.offerer = in_data_with("bob", "bob");
  secure.answerer = in_data_with("alice", "alice");
  secure.simulator_error = true;
  EXPECT_EQ(classify(secure), Outcome::Error);
}

// The classifier fails closed: a peer that exchanged data with a certificate
// the ground truth cannot name is the simulator's failure, not a verdict.
TEST(Classify, DataPhaseWithoutARecordedCertificateIsError) {
  SessionTruth t;
  t.offerer = in_data_with("", "bob");  // in the data phase, no certificate recorded
  t.answerer = in_data_with("alice", "alice");
  EXPECT_EQ(classify(t), Outcome::Error);
  // Also when the other end was man-in-the-middled, or raised an alarm.
  t.answerer = in_data_with("mallory", "alice");
  t.answerer.alarms = {"fingerprint-mismatch"};
  EXPECT_EQ(classify(t), Outcome::Error);
}

TEST(Classify, DataPhaseWithAnUnregisteredCertificateIsError) {
  SessionTruth t;
  t.offerer = in_data_with("bob", "bob");
  t.answerer = in_data_with(std::string(kUnregisteredOwner), "alice");
  EXPECT_EQ(classify(t), Outcome::Error);
}

TEST(Classify, NoCertificateBeforeTheDataPhaseIsStillAVerdict) {
  // Ends that never reached data with no certificate are an ordinary failure.
  SessionTruth t;
  t.offerer = never_connected("bob");
  t.answerer = never_connected("alice");
  EXPECT_EQ(classify(t), Outcome::Failed);
}

TEST(Classify, OnlyOneEndIntactIsNotSecure) {
  SessionTruth t;
  t.offerer = in_data_with("bob", "bob");
  t.answerer = never_connected("alice");
  EXPECT_EQ(classify(t), Outcome::Failed);
}

// ----- Names ----------------------------------------------------------------

TEST(OutcomeNames, RoundTripForEveryOutcome) {
  for (Outcome o : {Outcome::Secure, Outcome::MitmUndetected, Outcome::MitmDetectedLate, Outcome::Detected,
                    Outcome::Failed, Outcome::Error}) {
    const auto name = to_string(o);
    auto back = outcome_from_string(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, o) << name;
  }
}

TEST(OutcomeNames, AreDesignMdNames) {
  EXPECT_EQ(to_string(Outcome::Secure), "secure");
  EXPECT_EQ(to_string(Outcome::MitmUndetected), "mitm-undetected");
  EXPECT_EQ(to_string(Outcome::MitmDetectedLate), "mitm-detected-late");
  EXPECT_EQ(to_string(Outcome::Detected), "detected");
  EXPECT_EQ(to_string(Outcome::Failed), "failed");
  EXPECT_EQ(to_string(Outcome::Error), "error");
}

TEST(OutcomeNames, UnknownNameIsNullopt) {
  EXPECT_FALSE(outcome_from_string("").has_value());
  EXPECT_FALSE(outcome_from_string("SECURE").has_value());
  EXPECT_FALSE(outcome_from_string("mitm").has_value());
}

TEST(OutcomeNames, ExpectableNamesExcludeErrorAndListTheOthers) {
  const auto& names = expectable_outcome_names();
  EXPECT_EQ(std::find(names.begin(), names.end(), "error"), names.end());
  const std::vector<std::string> want = {"secure", "mitm-undetected", "mitm-detected-late", "detected", "failed"};
  EXPECT_EQ(names, want);
}

}  // namespace
}  // namespace sigtrust
