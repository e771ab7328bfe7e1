// The pure steps of a run (sim/engine_steps.hpp), without sockets.
#include "sim/engine_steps.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/timeline_events.hpp"
#include "net/main_loop.hpp"

namespace sigtrust::engine {
namespace {

scenario::SessionSpec session(std::string offerer, std::string answerer, std::uint32_t round = 0) {
  scenario::SessionSpec s;
  s.offerer = std::move(offerer);
  s.answerer = std::move(answerer);
  s.expect = "secure";
  s.round = round;
  return s;
}

scenario::PeerSpec peer(std::string name, std::vector<std::string> trust = {"sdp-fingerprint"}) {
  scenario::PeerSpec p;
  p.name = std::move(name);
  p.trust = std::move(trust);
  return p;
}

scenario::Scenario two_peers() {
  scenario::Scenario s;
  s.file = "scenarios/honest.yaml";
  s.name = "honest";
  s.seed = 7;
  s.deadline_ms = 4000;
  s.peers = {peer("alice"), peer("bob")};
  s.sessions = {session("alice", "bob")};
  s.sessions[0].messages = {{"alice", "hello bob"}, {"bob", "hello alice"}, {"alice", "again"}};
  return s;
}

TEST(EngineSteps, ResultHeaderSaysWhatRan) {
  auto s = two_peers();
  s.attack.name = "swap-mitm";
  const RunResult r = result_header(s);
  EXPECT_EQ(r.scenario, "honest");
  EXPECT_EQ(r.file, "scenarios/honest.yaml");
  EXPECT_EQ(r.attack, "swap-mitm");
  EXPECT_EQ(r.trust, "sdp-fingerprint");
  EXPECT_EQ(r.seed, 7u);
  EXPECT_EQ(r.deadline_ms, 4000u);
  EXPECT_TRUE(r.sessions.empty());
  EXPECT_TRUE(r.error.empty());
}

TEST(EngineSteps, TrustLabelIsOneLabelWhenEveryPeerHasTheSameElsePerPeer) {
  auto s = two_peers();
  s.peers = {peer("alice", {"sdp-fingerprint", "sas"}), peer("bob", {"sdp-fingerprint", "sas"})};
  EXPECT_EQ(trust_label(s), "sdp-fingerprint+sas");
  s.peers[1].trust = {"tofu"};
  EXPECT_EQ(trust_label(s), "alice=sdp-fingerprint+sas,bob=tofu");
}

TEST(EngineSteps, RoomNamesTheSessionByIndexAndPeers) {
  EXPECT_EQ(room_of(0, session("alice", "bob")), "/s0-alice-bob");
  EXPECT_EQ(room_of(12, session("carol", "dave")), "/s12-carol-dave");
}

TEST(EngineSteps, RoundsAreAscendingAndEachOnce) {
  auto s = two_peers();
  s.peers.push_back(peer("carol"));
  s.sessions = {session("alice", "bob", 2), session("bob", "carol", 0), session("alice", "carol", 2)};
  EXPECT_EQ(rounds_of(s), (std::vector<std::uint32_t>{0, 2}));
}

TEST(EngineSteps, BatchesCutARoundInFileOrderAtTheLimit) {
  scenario::Scenario s;
  for (int i = 0; i < 70; ++i)
    s.sessions.push_back(session("a" + std::to_string(i), "b" + std::to_string(i), i == 5 ? 1 : 0));
  const auto round0 = batches_of(s, 0);
  ASSERT_EQ(round0.size(), 3u);  // 69 sessions: 32 + 32 + 5
  EXPECT_EQ(round0[0].size(), kBatchSessions);
  EXPECT_EQ(round0[1].size(), kBatchSessions);
  EXPECT_EQ(round0[2].size(), 5u);
  EXPECT_EQ(round0[0][4], 4u);
  EXPECT_EQ(round0[0][5], 6u);  // session 5 is in round 1
  EXPECT_EQ(round0[2].back(), 69u);
  EXPECT_EQ(batches_of(s, 1), (std::vector<std::vector<std::size_t>>{{5}}));
  EXPECT_TRUE(batches_of(s, 3).empty());
  EXPECT_EQ(batches_of(s, 0, 100).size(), 1u);
}

PeerPlacement placement(bool offerer) {
  PeerPlacement where;
  where.session = 0;
  where.offerer = offerer;
  where.peer_index = offerer ? 0 : 1;
  where.address = offerer ? "127.1.2.10" : "127.1.2.11";
  where.relay_url = "ws://127.1.2.1:4000";
  return where;
}

TEST(EngineSteps, PeerConfigTakesNamesRoleMessagesAndRelayFromTheScenario) {
  auto s = two_peers();
  s.peers[1].trust_params = {{"sas_digits", "6"}};
  const PeerConfig alice = peer_config(s, placement(true), {});
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.counterpart, "bob");
  EXPECT_TRUE(alice.offerer);
  EXPECT_EQ(alice.address, "127.1.2.10");
  EXPECT_EQ(alice.relay_url, "ws://127.1.2.1:4000/s0-alice-bob?peer=alice");
  EXPECT_EQ(alice.outgoing, (std::vector<std::string>{"hello bob", "again"}));
  EXPECT_EQ(alice.expected_incoming, 1u);
  EXPECT_EQ(alice.trust, (std::vector<std::string>{"sdp-fingerprint"}));
  const PeerConfig bob = peer_config(s, placement(false), {});
  EXPECT_EQ(bob.name, "bob");
  EXPECT_FALSE(bob.offerer);
  EXPECT_EQ(bob.outgoing, (std::vector<std::string>{"hello alice"}));
  EXPECT_EQ(bob.expected_incoming, 2u);
  EXPECT_EQ(bob.trust_context.params, (ParamValues{{"sas_digits", "6"}}));
  EXPECT_FALSE(bob.stun);
  EXPECT_FALSE(bob.turn);
}

TEST(EngineSteps, AnAttackedSessionGathersFromTheAttackersNodeAnUnattackedOneFromTheHonestOne) {
  auto s = two_peers();
  IceServers servers;
  servers.stun = IceServer{"127.0.0.1", 3478, "", ""};
  servers.turn = IceServer{"127.0.0.1", 3478, "u", "p"};
  servers.attacker_turn = IceServer{"127.1.2.200", 5000, "u", "p"};
  const PeerConfig attacked = peer_config(s, placement(true), servers);
  ASSERT_TRUE(attacked.turn && attacked.stun);
  EXPECT_EQ(attacked.turn->address, "127.1.2.200");  // the attacker sits at the TURN position
  EXPECT_EQ(attacked.stun->address, "127.0.0.1");  // and not at the STUN one
  s.sessions[0].attacked = false;
  const PeerConfig spared = peer_config(s, placement(true), servers);
  ASSERT_TRUE(spared.turn);
  EXPECT_EQ(spared.turn->address, "127.0.0.1");
}

TEST(EngineSteps, RelayOnlyAndBehindNatNeedTheNodeThatMakesThemPossible) {
  auto s = two_peers();
  s.peers[0].relay_only = true;
  s.peers[0].behind_nat = true;
  const PeerConfig without = peer_config(s, placement(true), {});
  EXPECT_FALSE(without.relay_only);  // no TURN server: it connects directly
  EXPECT_FALSE(without.behind_nat);  // no STUN server: its host candidates are all it has
  IceServers servers;
  servers.stun = IceServer{"127.0.0.1", 3478, "", ""};
  servers.turn = IceServer{"127.0.0.1", 3478, "u", "p"};
  const PeerConfig with = peer_config(s, placement(true), servers);
  EXPECT_TRUE(with.relay_only);
  EXPECT_TRUE(with.behind_nat);
}

// The report of one end that finished its exchange with the certificate `fingerprint`.
// A certificate's fingerprint in these tests (the judge only compares them).
sdp::Fingerprint fp(const std::string& who) { return {"sha-256", "fp-" + who}; }

PeerReport finished(std::string name, sdp::Fingerprint fingerprint) {
  PeerReport r;
  r.name = std::move(name);
  r.state = PeerState::Done;
  r.handshake_done = true;
  r.entered_data_phase = true;
  r.dtls_peer_fingerprint = std::move(fingerprint);
  r.t_start_ms = 10;
  r.t_ice_ms = 14;
  r.t_dtls_ms = 20;
  r.t_done_ms = 25;
  return r;
}

TEST(EngineSteps, JudgeSessionHonestEndsAreSecureAndMeetTheExpectation) {
  const auto s = two_peers();
  CertificateRegistry registry;
  registry.add(fp("alice"), "alice");
  registry.add(fp("bob"), "bob");
  PeerReport alice = finished("alice", fp("bob")), bob = finished("bob", fp("alice"));
  bob.t_start_ms = 12;
  bob.t_done_ms = 30;
  const Judgement j = judge_session(s, 0, {&alice, &bob, true, ""}, result_header(s), registry, {});
  EXPECT_EQ(j.session.outcome, Outcome::Secure);
  EXPECT_TRUE(j.session.pass);
  EXPECT_EQ(j.session.room, "/s0-alice-bob");
  EXPECT_EQ(j.session.offerer_result.dtls_peer_owner, "bob");
  EXPECT_EQ(j.session.answerer_result.dtls_peer_owner, "alice");
  EXPECT_EQ(j.session.cut, CutBy::None);
  EXPECT_DOUBLE_EQ(j.session.ice_ms, 4);  // from the earlier start to the later ICE
  EXPECT_DOUBLE_EQ(j.session.dtls_ms, 6);
  EXPECT_DOUBLE_EQ(j.session.total_ms, 20);
  EXPECT_TRUE(j.unaccounted.empty());
}

TEST(EngineSteps, JudgeSessionAnAttackerHoldingBothLegsIsAnUndetectedMitm) {
  auto s = two_peers();
  s.sessions[0].expect = "mitm-undetected";
  CertificateRegistry registry;
  registry.add(fp("mallory"), "mallory");
  PeerReport alice = finished("alice", fp("mallory")), bob = finished("bob", fp("mallory"));
  std::map<std::string, AttackerSessionReport> attacker;
  attacker["/s0-alice-bob"].plaintext_read = {"hello bob"};
  const Judgement j = judge_session(s, 0, {&alice, &bob, true, ""}, result_header(s), registry, attacker);
  EXPECT_EQ(j.session.outcome, Outcome::MitmUndetected);
  EXPECT_TRUE(j.session.pass);
  EXPECT_EQ(j.session.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(j.session.attacker.plaintext_read, (std::vector<std::string>{"hello bob"}));
}

TEST(EngineSteps, JudgeSessionAppliesAReportForAllSessionsToAttackedSessionsOnly) {
  auto s = two_peers();
  CertificateRegistry registry;
  registry.add(fp("alice"), "alice");
  registry.add(fp("bob"), "bob");
  PeerReport alice = finished("alice", fp("bob")), bob = finished("bob", fp("alice"));
  std::map<std::string, AttackerSessionReport> attacker;
  attacker[kAllSessions].ciphertext_bytes = 1200;
  EXPECT_EQ(judge_session(s, 0, {&alice, &bob, true, ""}, result_header(s), registry, attacker)
                .session.attacker.ciphertext_bytes,
            1200u);
  s.sessions[0].attacked = false;
  EXPECT_EQ(judge_session(s, 0, {&alice, &bob, true, ""}, result_header(s), registry, attacker)
                .session.attacker.ciphertext_bytes,
            0u);
}

TEST(EngineSteps, JudgeSessionASessionTheDeadlineCutIsProvisionalAndSaysWhatItWaitedFor) {
  const auto s = two_peers();
  RunResult run = result_header(s);
  run.deadline_reached = true;
  const Judgement never = judge_session(s, 0, {}, run, CertificateRegistry{}, {});
  EXPECT_EQ(never.session.cut, CutBy::Deadline);
  EXPECT_EQ(never.session.waiting_for, "the session never started");
  EXPECT_EQ(never.session.outcome, Outcome::Failed);
  EXPECT_FALSE(never.session.pass);  // "secure" expected, and failed is what it got

  PeerReport alice, bob;
  alice.name = "alice";
  bob.name = "bob";
  const Judgement stuck = judge_session(s, 0, {&alice, &bob, false, "bob was waiting for the offer"}, run, {}, {});
  EXPECT_EQ(stuck.session.cut, CutBy::Deadline);
  EXPECT_EQ(stuck.session.waiting_for, "bob was waiting for the offer");
  run.interrupted = true;
  EXPECT_EQ(judge_session(s, 0, {}, run, {}, {}).session.cut, CutBy::Interrupted);
}

TEST(EngineSteps, JudgeSessionFailsClosedOnACertificateNobodyRegistered) {
  const auto s = two_peers();
  CertificateRegistry registry;
  registry.add(fp("bob"), "bob");
  PeerReport alice = finished("alice", fp("bob")), bob = finished("bob", fp("stranger"));
  const Judgement j = judge_session(s, 0, {&alice, &bob, true, ""}, result_header(s), registry, {});
  EXPECT_EQ(j.session.outcome, Outcome::Error);
  EXPECT_FALSE(j.session.pass);
  EXPECT_EQ(j.session.answerer_result.dtls_peer_owner, kUnregisteredOwner);
  EXPECT_EQ(j.unaccounted,
            "ground truth incomplete: in /s0-alice-bob a peer exchanged data with a certificate no node registered");
  // A run that already failed explains itself: no second reason.
  RunResult failed = result_header(s);
  failed.error = "coturn did not start";
  EXPECT_TRUE(judge_session(s, 0, {&alice, &bob, true, ""}, failed, registry, {}).unaccounted.empty());
}

// An exception that a C library's callback would have unwound through (here
// a real GLib timer source) ends in the run's timeline as run.error, and the
// run is a simulator failure.
TEST(EngineSteps, AnExceptionInACCallbackBecomesARunErrorEvent) {
  MainLoop loop;
  Timeline timeline;
  RunResult result;
  CEntryReporter reporter(callback_failure_reporter(timeline, result));
  bool later = false;
  Timer boom = loop.after(std::chrono::milliseconds(0), [] { throw std::runtime_error("no file descriptor left"); });
  Timer next = loop.after(std::chrono::milliseconds(1), [&] { later = true; });
  ASSERT_TRUE(loop.run_until([&] { return later; }, Clock::now() + std::chrono::seconds(5)));
  EXPECT_EQ(result.error, "exception in a timer: no file descriptor left");
  ASSERT_EQ(timeline.events().size(), 1u);
  EXPECT_EQ(timeline.events()[0].kind, events::kRunError);
  EXPECT_EQ(timeline.events()[0].text, "simulator failure: exception in a timer: no file descriptor left");
  // A second one is an event too; the first error stays the run's.
  c_entry("another callback", [] { throw std::runtime_error("later"); });
  EXPECT_EQ(result.error, "exception in a timer: no file descriptor left");
  EXPECT_EQ(timeline.events().size(), 2u);
}

}  // namespace
}  // namespace sigtrust::engine
