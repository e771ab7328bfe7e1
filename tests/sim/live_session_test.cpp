// Judging live sessions: one test per row of the tables in docs/live-demo.md
// ("What the result says"), fed the facts the relay records, no sockets.
#include "sim/live_session.hpp"

#include "core/signaling_message.hpp"
#include "core/timeline.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace sigtrust {
namespace {

// As the clients write them in their reports, and as the judge reads them.
const std::string kAlice = "sha-256 AA:01", kBob = "sha-256 BB:02", kMallory = "sha-256 CC:03";
sdp::Fingerprint fp(const std::string& text) { return *sdp::parse_fingerprint(text); }

class LiveJudgeTest : public ::testing::Test {
 protected:
  LiveJudgeTest() {
    registry_.add(fp(kAlice), "alice");
    registry_.add(fp(kBob), "bob");
    registry_.add(fp(kMallory), "mallory");
    r_.labels[0] = "alice";
    r_.labels[1] = "bob";
    r_.offerer = 0;
    r_.sent_fps[0] = r_.delivered_fps[1] = {fp(kAlice)};
    r_.sent_fps[1] = r_.delivered_fps[0] = {fp(kBob)};
    r_.sent_fp[0] = r_.delivered_fp[1] = fp(kAlice);
    r_.sent_fp[1] = r_.delivered_fp[0] = fp(kBob);
    r_.sent_setup[0] = r_.delivered_setup[1] = "actpass";
    r_.sent_setup[1] = r_.delivered_setup[0] = "active";
    r_.delivered[0] = r_.delivered[1] = true;
  }

  // swap-mitm: each client received the attacker's fingerprint.
  void swap_fingerprints() {
    r_.delivered_fps[0] = r_.delivered_fps[1] = {fp(kMallory)};
    r_.delivered_fp[0] = r_.delivered_fp[1] = fp(kMallory);
    attack_.certificate_fingerprint = fp(kMallory);
  }
  void legs(std::vector<std::string> victims) {
    attack_.dtls_legs = static_cast<unsigned>(victims.size());
    attack_.legs_connected = std::move(victims);
  }
  void report(int i, const nlohmann::json& j) {
    if (!r_.report[i]) r_.report[i].emplace();
    merge_report(*r_.report[i], j);
  }
  static nlohmann::json connected(const std::string& remote) {
    return {{"connected", true}, {"remoteCertificate", remote}, {"sas", "123 456"}};
  }

  LiveVerdict judge() { return judge_live_session("room", r_, attack_, registry_); }

  CertificateRegistry registry_;
  LiveRoom r_;
  AttackerSessionReport attack_;
};

// --- with the clients' reports ---

TEST_F(LiveJudgeTest, SecureWhenEachReportsTheOthersCertificate) {
  report(0, connected(kBob));
  report(1, connected(kAlice));
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Secure) << v.why;
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, "bob");
  EXPECT_EQ(v.session.answerer_result.dtls_peer_owner, "alice");
  EXPECT_EQ(v.session.offerer, "alice");
  EXPECT_EQ(v.session.answerer, "bob");
}

TEST_F(LiveJudgeTest, AReportedCertificateInLowerCaseIsTheSameCertificate) {
  // RFC 8122 §5: hex is upper case, and receivers accept either.
  report(0, connected("SHA-256 bb:02"));
  report(1, connected(kAlice));
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Secure) << v.why;
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, "bob");
  // Rendered as the client wrote it.
  EXPECT_EQ(sdp::format_fingerprint(v.session.offerer_result.report.dtls_peer_fingerprint), "SHA-256 bb:02");
}

TEST_F(LiveJudgeTest, AReportedCertificateThatIsNoFingerprintBelongsToNoOne) {
  report(0, connected("not a fingerprint"));
  report(1, connected(kAlice));
  const auto v = judge();
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, kUnregisteredOwner) << v.why;
  EXPECT_FALSE(v.session.offerer_result.report.dtls_peer_fingerprint.has_value());
  EXPECT_TRUE(v.session.offerer_result.report.handshake_done);
  EXPECT_EQ(v.session.outcome, Outcome::Error) << "the classifier fails closed on a certificate no node owns";
}

TEST_F(LiveJudgeTest, MitmUndetectedWhenAClientReportsTheAttackersCertificate) {
  swap_fingerprints();
  legs({"alice", "bob"});
  report(0, connected(kMallory));
  report(1, connected(kMallory));
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::MitmUndetected) << v.why;
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(sdp::format_fingerprint(v.session.answerer_result.report.dtls_peer_fingerprint), kMallory);
  EXPECT_NE(v.why.find("mallory's certificate"), std::string::npos) << v.why;
}

TEST_F(LiveJudgeTest, MitmUndetectedWhenOneReportsTheAttackerAndTheOtherNothing) {
  swap_fingerprints();
  legs({"alice", "bob"});
  report(1, connected(kMallory));
  EXPECT_EQ(judge().session.outcome, Outcome::MitmUndetected);
}

// hash-swap-mitm against libdatachannel: the stack reports the certificate it
// authenticated hashed as the SDP line named it, sha-1. It is the attacker's
// certificate all the same; judged `error` (a certificate no node owns) until
// the relay bound the attacker's certificate under every hash.
TEST_F(LiveJudgeTest, AClientReportingTheAttackersCertificateUnderSha1SawTheAttacker) {
  const Certificate mallory("mallory");
  ASSERT_TRUE(registry_.add(mallory, "mallory"));
  const auto sha1 = mallory.fingerprint("sha-1");
  ASSERT_TRUE(sha1.ok());
  r_.delivered_fps[0] = r_.delivered_fps[1] = {*sha1};
  r_.delivered_fp[0] = r_.delivered_fp[1] = *sha1;
  attack_.certificate_fingerprint = mallory.fingerprint();
  legs({"alice", "bob"});
  report(0, connected(sdp::format_fingerprint(*sha1)));
  report(1, connected(sdp::format_fingerprint(*sha1)));
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::MitmUndetected) << v.why;
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(v.session.answerer_result.dtls_peer_owner, "mallory");
}

// drop-answer against Chromium: the answerer's ICE fails while the offerer
// still waits for the answer; no DTLS handshake ever began, so nothing was
// refused (it was judged `detected` while its error counted as an alarm).
TEST_F(LiveJudgeTest, AConnectionThatFailedBeforeDtlsBeganRaisesNoAlarm) {
  r_.delivered[0] = false;
  report(1, {{"error", "connection failed (ICE disconnected, DTLS transport new)"}, {"dtlsState", "new"}});
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Failed) << v.why;
  EXPECT_TRUE(v.session.answerer_result.report.alarms.empty());
  EXPECT_EQ(v.session.answerer_result.report.failure, "connection failed (ICE disconnected, DTLS transport new)");
  EXPECT_NE(v.why.find("failed before DTLS began"), std::string::npos) << v.why;
}

TEST_F(LiveJudgeTest, ADtlsTransportThatFailedIsARefusal) {
  swap_fingerprints();
  report(0, {{"error", "connection failed (ICE connected, DTLS transport failed)"}, {"dtlsState", "failed"}});
  report(1, {{"error", "connection failed (ICE connected, DTLS transport failed)"}, {"dtlsState", "failed"}});
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Detected) << v.why;
  EXPECT_EQ(v.session.offerer_result.report.alarms.size(), 1u);
}

TEST(CertificateRegistry, ACertificateIsItsOwnersUnderEveryHashAndNobodyElsesUnderAny) {
  const Certificate alice("alice");
  CertificateRegistry registry;
  ASSERT_TRUE(registry.add(alice, "alice"));
  for (const char* hash : {"sha-1", "sha-224", "sha-256", "sha-384", "sha-512", "md5"}) {
    const auto f = alice.fingerprint(hash);
    ASSERT_TRUE(f.ok()) << hash;
    EXPECT_EQ(registry.owner(*f), "alice") << hash;
  }
  EXPECT_FALSE(registry.add(alice, "mallory")) << "a victim's certificate cannot become the attacker's";
  EXPECT_EQ(registry.owner(*alice.fingerprint("sha-1")), "alice");
  EXPECT_FALSE(registry.refusals().empty());
}

// Issue: the relay used to judge from its own legs first, so two refusals
// after the attacker's legs completed still read mitm-undetected.
TEST_F(LiveJudgeTest, DetectedWhenAClientRefusesAfterTheAttackersLegCompleted) {
  swap_fingerprints();
  legs({"alice", "bob"});
  report(0, {{"error", "DTLS peer certificate is not the one learned out of band"}, {"remoteCertificate", kMallory}});
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Detected) << v.why;
  EXPECT_EQ(v.session.offerer_result.report.failure, "DTLS peer certificate is not the one learned out of band");
  EXPECT_EQ(v.session.offerer_result.report.state, PeerState::Failed);
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, "mallory");
  // The other client's channel never opened: the refusal stopped the SCTP association through the bridge.
  EXPECT_FALSE(v.session.answerer_result.report.entered_data_phase);
}

TEST_F(LiveJudgeTest, DetectedWhenBothClientsReportFailures) {
  swap_fingerprints();
  legs({"alice", "bob"});
  report(0, {{"error", "connection failed (ICE or DTLS)"}});
  report(1, {{"error", "connection failed (ICE or DTLS)"}});
  EXPECT_EQ(judge().session.outcome, Outcome::Detected);
}

TEST_F(LiveJudgeTest, DetectedWhenABrowserRefusesTheDescription) {
  // strip-mitm against Chromium: the answerer refuses the offer; no legs.
  r_.delivered_fps[1].clear();
  r_.delivered_fp[1].reset();
  report(1, {{"error", "Called with SDP without DTLS fingerprint."}});
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Detected) << v.why;
  EXPECT_EQ(v.session.answerer_result.report.failure, "Called with SDP without DTLS fingerprint.");
}

TEST_F(LiveJudgeTest, MitmDetectedLateWhenARefusalComesAfterTheChannelOpened) {
  swap_fingerprints();
  legs({"alice", "bob"});
  report(0, connected(kMallory));
  report(1, connected(kMallory));
  report(0, {{"error", "the users' strings differ"}});  // reports accumulate
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::MitmDetectedLate) << v.why;
  EXPECT_TRUE(v.session.offerer_result.report.entered_data_phase);
  EXPECT_EQ(v.session.offerer_result.report.alarms, std::vector<std::string>{"the users' strings differ"});
}

// --- without reports: what the relay and the bridge saw ---

TEST_F(LiveJudgeTest, WithoutReportsMitmUndetectedWhenTheAttackerCompletedBothLegs) {
  swap_fingerprints();
  legs({"alice", "bob"});
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::MitmUndetected) << v.why;
  EXPECT_EQ(sdp::format_fingerprint(v.session.offerer_result.report.dtls_peer_fingerprint), kMallory);
  EXPECT_EQ(v.session.answerer_result.dtls_peer_owner, "mallory");
  EXPECT_NE(v.why.find("sent no report"), std::string::npos) << v.why;
}

TEST_F(LiveJudgeTest, WithoutReportsDetectedWhenFingerprintsChangedAndALegNeverCompleted) {
  swap_fingerprints();
  legs({"alice"});
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Detected) << v.why;
}

TEST_F(LiveJudgeTest, WithoutReportsDetectedWhenOnlyTheFingerprintWasReplaced) {
  // fingerprint-only: no bridge at all.
  swap_fingerprints();
  EXPECT_EQ(judge().session.outcome, Outcome::Detected);
}

TEST_F(LiveJudgeTest, WithoutReportsFailedWhenTheAnswerNeverArrived) {
  r_.delivered[0] = false;
  r_.delivered_fps[0].clear();
  r_.delivered_fp[0].reset();
  r_.delivered_setup[0].clear();
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Failed) << v.why;
  EXPECT_EQ(v.session.offerer_result.report.state, PeerState::Signaling);
}

TEST_F(LiveJudgeTest, WithoutReportsFailedWhenSetupWasAltered) {
  r_.delivered_setup[1] = "active";  // setup-flip: both ends active
  EXPECT_EQ(judge().session.outcome, Outcome::Failed);
}

TEST_F(LiveJudgeTest, WithoutReportsSecureWhenOfferAndAnswerCrossedUnchanged) {
  const auto v = judge();
  EXPECT_EQ(v.session.outcome, Outcome::Secure) << v.why;
  EXPECT_EQ(v.session.offerer_result.dtls_peer_owner, "bob");
}

TEST_F(LiveJudgeTest, TheAnswererCanBeClientZero) {
  r_.offerer = 1;
  report(0, connected(kBob));
  report(1, connected(kAlice));
  const auto v = judge();
  EXPECT_EQ(v.session.offerer, "bob");
  EXPECT_EQ(v.session.answerer, "alice");
  EXPECT_EQ(v.session.outcome, Outcome::Secure);
}

TEST(LiveReport, MergeKeepsWhatEarlierReportsSaidAndIgnoresWrongTypes) {
  LiveClientReport r;
  merge_report(r, {{"connected", true}, {"remoteCertificate", kBob}, {"localCertificate", kAlice}});
  merge_report(r, {{"error", "late refusal"}, {"connected", "yes"}, {"remoteCertificate", 42}});
  merge_report(r, nlohmann::json::array({1, 2}));
  EXPECT_TRUE(r.connected);
  EXPECT_EQ(r.remote_certificate, kBob);
  EXPECT_EQ(r.local_certificate, kAlice);
  EXPECT_EQ(r.error, "late refusal");
  merge_report(r, {{"error", std::string(1000, 'x')}});
  EXPECT_EQ(r.error.size(), 256u);
}

// --- what the recorder writes for the live run's diagram and table ---

std::string fixture_sdp() {
  std::ifstream in(std::string(SIGTRUST_TEST_DATA) + "/sdp/chromium-offer.sdp", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const nlohmann::json* event_of(const Timeline& t, const std::string& actor, const std::string& kind) {
  for (const auto& e : t.events())
    if (e.actor == actor && e.kind == kind) return &e.data;
  return nullptr;
}

TEST(LiveRecorder, WritesEachClientsOfferAnswerAndReportUnderItsName) {
  CertificateRegistry registry;
  Timeline timeline;
  LiveRecorder recorder(registry, nullptr, &timeline);
  const std::string sdp = fixture_sdp();
  std::vector<std::string> delivered;
  const Deliver keep = [&](std::string text) { delivered.push_back(std::move(text)); };
  recorder.on_message({"/r", 0, "alice", "bob", serialize({SignalingMessage::Type::Offer, sdp, {}, {}})}, keep);
  recorder.on_message({"/r", 1, "bob", "alice", serialize({SignalingMessage::Type::Answer, sdp, {}, {}})}, keep);
  nlohmann::json rep = {{"type", "report"}, {"report", {{"connected", true}, {"remoteCertificate", "sha-256 CC:03"}}}};
  recorder.on_message({"/r", 0, "alice", "bob", rep.dump()}, keep);
  EXPECT_EQ(delivered.size(), 2u) << "a report is never forwarded";
  for (const auto& [actor, kind] :
       std::vector<std::pair<std::string, std::string>>{{"alice", "signaling.offer-sent"},
                                                        {"bob", "signaling.offer-received"},
                                                        {"bob", "signaling.answer-sent"},
                                                        {"alice", "signaling.answer-received"}}) {
    const auto* data = event_of(timeline, actor, kind);
    ASSERT_NE(data, nullptr) << actor << " " << kind;
    EXPECT_EQ((*data)["sdp"], sdp) << actor << " " << kind;
  }
  const auto* report = event_of(timeline, "relay", "relay.client-report");
  ASSERT_NE(report, nullptr);
  EXPECT_EQ((*report)["client"], "alice");
  EXPECT_EQ((*report)["remote_certificate"], "sha-256 CC:03");
  EXPECT_EQ((*report)["connected"], true);
  // The judged session carries the fingerprints each browser was given.
  const auto v = judge_live_session("/r", recorder.rooms().at("/r"), {}, registry);
  ASSERT_EQ(v.session.offerer_result.report.expected_fingerprints.size(), 1u);
  EXPECT_EQ(v.session.offerer_result.report.expected_fingerprints[0].hash, "sha-256");
}

}  // namespace
}  // namespace sigtrust
