// Live sessions: clients sigtrust did not write (browsers, other WebRTC
// stacks) talking through `sigtrust relay`. The relay records each room
// (LiveRecorder), and each session is judged by the same classify() as a
// simulated run, from two inputs: what each client reported of its own DTLS
// session ({"type":"report"}) and the ground truth the relay and the bridge
// know (which certificate each SDP carried, which victims completed DTLS
// with the attacker's certificate).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/attack.hpp"
#include "core/outcome.hpp"
#include "core/run_result.hpp"

namespace sigtrust {

// What one client said about its own session. Reports accumulate: a client
// may report its open channel and later a refusal.
struct LiveClientReport {
  bool connected = false;  // its data channel opened
  // As the client wrote them (text from the network, "sha-256 AB:…"); the
  // judge parses them (sdp::parse_fingerprint).
  std::string local_certificate;  // the certificate it used
  std::string remote_certificate;  // the certificate its DTLS layer authenticated
  std::string error;  // a refusal or failure (an alarm, unless DTLS never began)
  // The state of its DTLS transport when it reported the error, if it said
  // ("new": the connection failed in ICE, before any DTLS handshake began, so
  // no certificate was refused and the error is no alarm).
  std::string dtls_state;
  std::string sas;
};

// Adds one {"report": …} object from the network (untrusted: wrong types are
// ignored, strings cut to 256 bytes).
void merge_report(LiveClientReport& into, const nlohmann::json& report);

// What the relay saw of one room: who joined, who offered, the fingerprints
// and a=setup in each SDP as sent and as delivered, and the clients' reports.
struct LiveRoom {
  std::string labels[2] = {"client0", "client1"};
  int offerer = -1;  // client index
  std::string sent_sdp[2], delivered_sdp[2];  // by the client that sent / received it
  std::optional<sdp::Fingerprint> sent_fp[2], delivered_fp[2];  // first fingerprint
  std::vector<sdp::Fingerprint> sent_fps[2], delivered_fps[2];  // every fingerprint
  std::string sent_setup[2], delivered_setup[2];
  bool delivered[2] = {false, false};  // an SDP reached client i
  std::optional<LiveClientReport> report[2];

  // Records an SDP client `from` sent (the offer or answer as written).
  void record_sent(int from, const std::string& sdp);
  // Records the SDP delivered to client `to` (after any attack).
  void record_delivered(int to, const std::string& sdp);
  // A new offer: what was delivered and reported before no longer describes the session.
  void restart(int offerer_index);
};

// Sees every message before the attack (if any) and every message the attack
// delivers; keeps clients' reports (instrumentation, never forwarded).
class LiveRecorder : public SignalingInterceptor {
 public:
  // `timeline` (optional) gets one relay.client-report event per report a
  // client sends, so whoever watches the relay sees when it has one.
  LiveRecorder(CertificateRegistry& registry, SignalingInterceptor* attack, Timeline* timeline = nullptr)
      : registry_(registry), attack_(attack), timeline_(timeline) {}

  void on_room_closed(const std::string& room) override;
  void on_message(const RelayedMessage& m, Deliver deliver) override;

  const std::map<std::string, LiveRoom>& rooms() const { return rooms_; }

 private:
  CertificateRegistry& registry_;
  SignalingInterceptor* attack_;
  Timeline* timeline_;
  std::map<std::string, LiveRoom> rooms_;
};

// One live session judged: offerer, answerer, each peer's result, the
// attacker's report, the outcome from classify(), and why, in words.
struct LiveVerdict {
  SessionResult session;
  std::string why;
};

// `attack` is what the bridge reported for this room (empty if none);
// `registry` says whose each certificate is.
LiveVerdict judge_live_session(const std::string& room, const LiveRoom& r, const AttackerSessionReport& attack,
                               const CertificateRegistry& registry);

// Every room in which someone offered, judged (judge_live_session), in room
// order; each verdict is also a relay.outcome event in `timeline`.
std::vector<SessionResult> judge_live_rooms(const LiveRecorder& recorder,
                                            const std::map<std::string, AttackerSessionReport>& attacker_sessions,
                                            const CertificateRegistry& registry, Timeline& timeline);

}  // namespace sigtrust
