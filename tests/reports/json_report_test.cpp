#include "reports/json_report.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sigtrust::reports {
namespace {

using nlohmann::json;

PeerResult peer(const std::string& name, const std::string& fingerprint, const std::string& owner) {
  PeerResult p;
  p.report.name = name;
  p.report.trust = "sdp-fingerprint";
  p.report.state = PeerState::Done;
  p.report.dtls_role = DtlsRole::Client;
  if (!fingerprint.empty()) p.report.dtls_peer_fingerprint = *sdp::parse_fingerprint(fingerprint);
  p.report.expected_fingerprints = {{"sha-256", "AB:CD"}};
  p.report.alarms = {};
  p.dtls_peer_owner = owner;
  return p;
}

SessionResult session(Outcome outcome, const std::string& expected, bool pass) {
  SessionResult s;
  s.offerer = "alice";
  s.answerer = "bob";
  s.room = "/alice-bob";
  s.outcome = outcome;
  s.expected = expected;
  s.pass = pass;
  s.offerer_result = peer("alice", "sha-256 AB:CD", "mallory");
  s.offerer_result.report.selected_pair = SelectedPair{"host", "host", "127.0.0.2:40001", "127.0.0.4:40007"};
  s.answerer_result = peer("bob", "sha-256 CD:EF", "mallory");
  s.answerer_result.report.alarms = {"fingerprint-mismatch"};
  s.attacker.plaintext_read = {"hello bob"};
  s.attacker.ciphertext_bytes = 1234;
  s.ice_ms = 1.6;
  s.dtls_ms = 1.0;
  s.total_ms = 2.7;
  return s;
}

RunResult run(std::vector<SessionResult> sessions) {
  RunResult r;
  r.scenario = "swap";
  r.file = "scenarios/swap-mitm.yaml";
  r.attack = "swap-mitm";
  r.trust = "sdp-fingerprint";
  r.sessions = std::move(sessions);
  r.timeline.push_back({0.5, "relay", "signaling.joined", "alice joined room /alice-bob", nullptr});
  return r;
}

TEST(JsonReport, TopLevelContractFields) {
  const json doc = result_document({run({session(Outcome::MitmUndetected, "mitm-undetected", true)})});
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc.at("tool"), "sigtrust");
  ASSERT_TRUE(doc.at("version").is_string());
  EXPECT_EQ(doc.at("version"), SIGTRUST_VERSION);
  ASSERT_TRUE(doc.at("runs").is_array());
  ASSERT_EQ(doc.at("runs").size(), 1u);
  ASSERT_TRUE(doc.at("summary").is_object());
}

TEST(JsonReport, RunAndSessionContractFields) {
  const json doc = result_document({run({session(Outcome::MitmUndetected, "mitm-undetected", true)})});
  const json& r = doc.at("runs").at(0);
  EXPECT_EQ(r.at("scenario"), "swap");
  EXPECT_EQ(r.at("attack"), "swap-mitm");
  EXPECT_EQ(r.at("trust"), "sdp-fingerprint");
  ASSERT_TRUE(r.at("sessions").is_array());
  ASSERT_EQ(r.at("sessions").size(), 1u);

  const json& s = r.at("sessions").at(0);
  EXPECT_EQ(s.at("offerer"), "alice");
  EXPECT_EQ(s.at("answerer"), "bob");
  EXPECT_EQ(s.at("outcome"), "mitm-undetected");
  EXPECT_EQ(s.at("expected"), "mitm-undetected");
  ASSERT_TRUE(s.at("pass").is_boolean());
  EXPECT_TRUE(s.at("pass").get<bool>());
}

TEST(JsonReport, PeersAreKeyedByNameWithContractFields) {
  const json doc = result_document({run({session(Outcome::MitmUndetected, "mitm-undetected", true)})});
  const json& peers = doc.at("runs").at(0).at("sessions").at(0).at("peers");
  ASSERT_TRUE(peers.is_object());
  ASSERT_TRUE(peers.contains("alice"));
  ASSERT_TRUE(peers.contains("bob"));

  const json& alice = peers.at("alice");
  EXPECT_EQ(alice.at("dtls_peer_fingerprint"), "sha-256 AB:CD");
  EXPECT_EQ(alice.at("dtls_peer_owner"), "mallory");
  const json& pair = alice.at("selected_pair");
  ASSERT_TRUE(pair.is_object());
  EXPECT_EQ(pair.at("local_type"), "host");
  EXPECT_EQ(pair.at("remote_type"), "host");
  EXPECT_EQ(pair.at("local"), "127.0.0.2:40001");
  EXPECT_EQ(pair.at("remote"), "127.0.0.4:40007");
  ASSERT_TRUE(alice.at("alarms").is_array());
  EXPECT_TRUE(alice.at("alarms").empty());

  const json& bob = peers.at("bob");
  EXPECT_EQ(bob.at("dtls_peer_fingerprint"), "sha-256 CD:EF");
  EXPECT_EQ(bob.at("dtls_peer_owner"), "mallory");
  ASSERT_TRUE(bob.at("alarms").is_array());
  EXPECT_EQ(bob.at("alarms"), json::array({"fingerprint-mismatch"}));
}

TEST(JsonReport, AttackersCertificateFingerprintIsItsTextOrEmpty) {
  SessionResult s = session(Outcome::MitmUndetected, "mitm-undetected", true);
  s.attacker.certificate_fingerprint = sdp::Fingerprint{"sha-256", "CC:03"};
  SessionResult none = session(Outcome::Secure, "secure", true);
  const json doc = result_document({run({s, none})});
  const json& sessions = doc.at("runs").at(0).at("sessions");
  EXPECT_EQ(sessions.at(0).at("attacker").at("certificate_fingerprint"), "sha-256 CC:03");
  EXPECT_EQ(sessions.at(1).at("attacker").at("certificate_fingerprint"), "") << "no attacker certificate";
}

TEST(JsonReport, PeerWithoutDtlsHasNullFingerprintOwnerAndPair) {
  SessionResult s = session(Outcome::Failed, "failed", true);
  s.answerer_result = PeerResult{};
  s.answerer_result.report.name = "bob";
  const json doc = result_document({run({s})});
  const json& bob = doc.at("runs").at(0).at("sessions").at(0).at("peers").at("bob");
  EXPECT_TRUE(bob.at("dtls_peer_fingerprint").is_null());
  EXPECT_TRUE(bob.at("dtls_peer_owner").is_null());
  EXPECT_TRUE(bob.at("selected_pair").is_null());
  EXPECT_TRUE(bob.at("alarms").is_array());
}

TEST(JsonReport, AttackerAndTimingsContractFields) {
  const json doc = result_document({run({session(Outcome::MitmUndetected, "mitm-undetected", true)})});
  const json& s = doc.at("runs").at(0).at("sessions").at(0);
  const json& attacker = s.at("attacker");
  ASSERT_TRUE(attacker.at("plaintext_read").is_array());
  EXPECT_EQ(attacker.at("plaintext_read"), json::array({"hello bob"}));
  ASSERT_TRUE(attacker.at("ciphertext_bytes").is_number_integer());
  EXPECT_EQ(attacker.at("ciphertext_bytes").get<std::uint64_t>(), 1234u);

  const json& t = s.at("timings_ms");
  for (const char* key : {"ice", "dtls", "total"}) {
    ASSERT_TRUE(t.contains(key)) << key;
    ASSERT_TRUE(t.at(key).is_number()) << key;
  }
  EXPECT_DOUBLE_EQ(t.at("ice").get<double>(), 1.6);
  EXPECT_DOUBLE_EQ(t.at("dtls").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(t.at("total").get<double>(), 2.7);
}

TEST(JsonReport, UnmeasuredTimingIsNull) {
  SessionResult s = session(Outcome::Failed, "failed", true);
  s.dtls_ms = -1;
  const json doc = result_document({run({s})});
  EXPECT_TRUE(doc.at("runs").at(0).at("sessions").at(0).at("timings_ms").at("dtls").is_null());
}

TEST(JsonReport, SummaryCountsRunsSessionsAndFailedExpectations) {
  const std::vector<RunResult> runs = {
      run({session(Outcome::MitmUndetected, "mitm-undetected", true),
           session(Outcome::MitmUndetected, "detected", false)}),
      run({session(Outcome::Secure, "secure", true)}),
      run({session(Outcome::Failed, "secure", false), session(Outcome::Detected, "secure", false)}),
  };
  const json doc = result_document(runs);
  const json& summary = doc.at("summary");
  ASSERT_TRUE(summary.at("runs").is_number_integer());
  ASSERT_TRUE(summary.at("sessions").is_number_integer());
  ASSERT_TRUE(summary.at("expectations_failed").is_number_integer());
  EXPECT_EQ(summary.at("runs").get<int>(), 3);
  EXPECT_EQ(summary.at("sessions").get<int>(), 5);
  EXPECT_EQ(summary.at("expectations_failed").get<int>(), 3);
}

TEST(JsonReport, AllPassingMeansZeroExpectationsFailed) {
  const json doc = result_document({run({session(Outcome::Secure, "secure", true)})});
  EXPECT_EQ(doc.at("summary").at("expectations_failed").get<int>(), 0);
}

TEST(JsonReport, EmptyInputIsAValidDocument) {
  const json doc = result_document({});
  EXPECT_EQ(doc.at("tool"), "sigtrust");
  EXPECT_TRUE(doc.at("runs").is_array());
  EXPECT_TRUE(doc.at("runs").empty());
  EXPECT_EQ(doc.at("summary").at("runs").get<int>(), 0);
  EXPECT_EQ(doc.at("summary").at("sessions").get<int>(), 0);
  EXPECT_EQ(doc.at("summary").at("expectations_failed").get<int>(), 0);
}

TEST(JsonReport, DocumentSurvivesSerialization) {
  const json doc = result_document({run({session(Outcome::MitmDetectedLate, "mitm-detected-late", true)})});
  const json again = json::parse(doc.dump());
  EXPECT_EQ(again, doc);
  EXPECT_EQ(again.at("runs").at(0).at("sessions").at(0).at("outcome"), "mitm-detected-late");
}

}  // namespace
}  // namespace sigtrust::reports
