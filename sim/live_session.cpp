#include "sim/live_session.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/sdp.hpp"
#include "core/signaling_message.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust {
namespace {

struct SdpFacts {
  std::vector<sdp::Fingerprint> fingerprints;  // every a=fingerprint, in order
  std::string setup;
};

SdpFacts facts(const std::string& sdp_text) {
  SdpFacts f;
  auto s = sdp::parse(sdp_text);
  if (!s) return f;
  auto info = sdp::transport_info(*s);
  f.fingerprints = std::move(info.fingerprints);
  f.setup = info.setup.value_or("");
  return f;
}

std::optional<sdp::Fingerprint> first(const std::vector<sdp::Fingerprint>& fps) {
  return fps.empty() ? std::nullopt : std::optional(fps.front());
}

std::string string_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>().substr(0, 256) : std::string();
}

// What the judge knows of one end, from its report or, failing that, from
// what the relay and the bridge saw.
struct EndFacts {
  EndTruth truth;
  std::optional<sdp::Fingerprint> peer_fingerprint;  // the certificate it authenticated, as best known
  // It reported a certificate that is no RFC 8122 fingerprint: one no node
  // owns (the classifier fails closed on it).
  bool unreadable_certificate = false;
  std::string account;  // how that was established, for `why`
  std::string failure;
};

// One room as the judge reads it: the relay's record, the bridge's report and
// the ground truth of the certificates.
struct RoomEvidence {
  const LiveRoom& r;
  const AttackerSessionReport& attack;
  const CertificateRegistry& registry;
  // Fingerprints or a=setup delivered otherwise than sent.
  bool changed = r.delivered_fps[0] != r.sent_fps[1] || r.delivered_fps[1] != r.sent_fps[0];
  bool setup_altered = r.delivered_setup[0] != r.sent_setup[1] || r.delivered_setup[1] != r.sent_setup[0];

  // The bridge completed DTLS with client i.
  bool leg_to(int i) const {
    return std::find(attack.legs_connected.begin(), attack.legs_connected.end(), r.labels[i]) !=
           attack.legs_connected.end();
  }
  // Client i refused before its own data channel opened.
  bool refused_early(int i) const { return r.report[i] && !r.report[i]->error.empty() && !r.report[i]->connected; }
  std::string owner(const EndFacts& e) const {
    return e.unreadable_certificate ? std::string(kUnregisteredOwner) : registry.owner(e.peer_fingerprint);
  }
};

}  // namespace

void merge_report(LiveClientReport& into, const nlohmann::json& report) {
  if (!report.is_object()) return;
  if (const auto it = report.find("connected"); it != report.end() && it->is_boolean() && it->get<bool>())
    into.connected = true;
  for (auto [key, field] : {std::pair{"localCertificate", &into.local_certificate},
                            std::pair{"remoteCertificate", &into.remote_certificate}, std::pair{"error", &into.error},
                            std::pair{"dtlsState", &into.dtls_state}, std::pair{"sas", &into.sas}})
    if (auto v = string_field(report, key); !v.empty()) *field = std::move(v);
}

void LiveRoom::record_sent(int from, const std::string& sdp) {
  auto f = facts(sdp);
  sent_sdp[from] = sdp;
  sent_fp[from] = first(f.fingerprints);
  sent_fps[from] = std::move(f.fingerprints);
  sent_setup[from] = f.setup;
}

void LiveRoom::record_delivered(int to, const std::string& sdp) {
  auto f = facts(sdp);
  delivered_sdp[to] = sdp;
  delivered_fp[to] = first(f.fingerprints);
  delivered_fps[to] = std::move(f.fingerprints);
  delivered_setup[to] = f.setup;
  delivered[to] = true;
}

void LiveRoom::restart(int offerer_index) {
  offerer = offerer_index;
  for (int i : {0, 1}) {
    report[i].reset();
    delivered[i] = false;
    delivered_sdp[i].clear();
    delivered_fp[i].reset();
    delivered_fps[i].clear();
    delivered_setup[i].clear();
  }
}

void LiveRecorder::on_room_closed(const std::string& room) {
  if (attack_) attack_->on_room_closed(room);  // the record of the room stays for the result
}

void LiveRecorder::on_message(const RelayedMessage& m, Deliver deliver) {
  LiveRoom& r = rooms_[m.room];
  const int from = m.from_index, to = 1 - from;
  r.labels[from] = m.from_label;
  auto msg = parse_signaling(m.text);
  if (msg && msg->type == SignalingMessage::Type::Report) {
    // Instrumentation for the result, not signaling: kept, never forwarded
    // (a real attacker would drop it; this relay is also the referee).
    if (!r.report[from]) r.report[from].emplace();
    merge_report(*r.report[from], msg->report);
    if (timeline_) {
      const LiveClientReport& rep = *r.report[from];
      // What the client said, for the diagram: the certificates its own
      // DTLS layer used and authenticated (what the browser showed).
      timeline_->add("relay", events::kRelayClientReport,
                     m.from_label + " in room " + m.room + " reported " +
                         (rep.error.empty() ? std::string(rep.connected ? "a connection" : "its state")
                                            : "an error: " + rep.error.substr(0, 200)),
                     {{"client", m.from_label},
                      {"room", m.room},
                      {"connected", rep.connected},
                      {"local_certificate", rep.local_certificate},
                      {"remote_certificate", rep.remote_certificate},
                      {"error", rep.error}});
    }
    return;
  }
  const bool sdp = msg && (msg->type == SignalingMessage::Type::Offer || msg->type == SignalingMessage::Type::Answer);
  if (sdp) {
    // A new offer starts the room's session afresh (a reloaded page).
    if (msg->type == SignalingMessage::Type::Offer) r.restart(from);
    r.record_sent(from, msg->sdp);
    // A client's fingerprint is its own from the first time it is seen; the
    // registry refuses a later claim by another client or of the attacker's.
    if (r.sent_fp[from]) registry_.add(*r.sent_fp[from], m.from_label);
  }
  // The offer or answer as the client wrote it and as the other one got it,
  // in the timeline under the clients' names: the live run's diagram draws
  // them like a simulated run's, and its table reads the fingerprints in them.
  const bool offer = sdp && msg->type == SignalingMessage::Type::Offer;
  if (sdp && timeline_)
    timeline_->add(m.from_label, offer ? events::kSignalingOfferSent : events::kSignalingAnswerSent,
                   std::string("sent the ") + (offer ? "offer" : "answer") + " in room " + m.room,
                   {{"sdp", msg->sdp}, {"room", m.room}});
  Deliver recorded = [this, room = m.room, to, sdp, offer, to_label = m.to_label,
                      deliver = std::move(deliver)](std::string text) {
    if (sdp)
      if (auto out = parse_signaling(text)) {
        rooms_[room].record_delivered(to, out->sdp);
        if (timeline_)
          timeline_->add(to_label, offer ? events::kSignalingOfferReceived : events::kSignalingAnswerReceived,
                         std::string("received the ") + (offer ? "offer" : "answer") + " in room " + room,
                         {{"sdp", out->sdp}, {"room", room}});
      }
    deliver(std::move(text));
  };
  if (attack_) attack_->on_message(m, std::move(recorded));
  else recorded(m.text);
}

namespace {

// What client i's own report says of its session, if it sent one.
void read_report(EndFacts& e, const LiveClientReport& rep, const RoomEvidence& room) {
  if (!rep.remote_certificate.empty()) {
    // From the client's own DTLS layer: ground truth, as in a simulated run.
    if (auto fp = sdp::parse_fingerprint(rep.remote_certificate)) e.peer_fingerprint = std::move(*fp);
    else e.unreadable_certificate = true;
    e.truth.handshake_done = true;
    e.account = "reports a DTLS session with " + room.owner(e) + "'s certificate";
  }
}

// No report from client i: judged from what the relay and the bridge saw.
void infer_unreported(EndFacts& e, int i, const RoomEvidence& room) {
  const LiveRoom& r = room.r;
  if (room.leg_to(0) && room.leg_to(1)) {
    // Through the bridge a data channel opens only when both legs are up
    // (SCTP runs end to end through it), and not if the other end refused
    // before its own channel opened.
    e.truth.entered_data_phase = !room.refused_early(1 - i);
    e.account = "sent no report; the attacker completed DTLS with it";
  } else if (room.leg_to(i)) {
    e.account = "sent no report; the attacker completed DTLS with it, not with the other client";
  } else if (!r.delivered[0] || !r.delivered[1]) {
    e.account = r.delivered[i] ? "sent no report; the offer or the answer never reached the other client"
                               : "sent no report; no SDP reached it";
  } else if (room.changed) {
    // RFC 8122 §5: a certificate that does not match the SDP's fingerprint
    // is refused; every browser enforces it.
    e.truth.alarms.push_back(
        "(inferred by the relay) the fingerprints were changed in flight and the attacker did "
        "not complete DTLS with both clients");
    e.account = "sent no report; its DTLS session cannot have matched the changed fingerprints";
  } else if (room.setup_altered) {
    e.account = "sent no report; a=setup was altered in flight, so the DTLS roles clash";
  } else {
    e.truth.handshake_done = e.truth.entered_data_phase = true;
    e.truth.dtls_peer_owner = room.owner(e);
    if (e.truth.dtls_peer_owner.empty() || e.truth.dtls_peer_owner == "unknown")
      e.truth.dtls_peer_owner = r.labels[1 - i];
    e.account = "sent no report; offer and answer crossed with the fingerprints their senders wrote";
  }
}

// What the judge knows of client i: its report or, failing that, what the
// relay and the bridge saw.
EndFacts judge_end(int i, const RoomEvidence& room) {
  const LiveRoom& r = room.r;
  EndFacts e;
  e.truth.intended_peer = r.labels[1 - i];
  const LiveClientReport* rep = r.report[i] ? &*r.report[i] : nullptr;
  if (rep) read_report(e, *rep, room);
  if (!e.truth.handshake_done && room.leg_to(i)) {
    // The bridge completed DTLS with it: it authenticated the attacker's certificate.
    e.peer_fingerprint = room.attack.certificate_fingerprint;
    e.truth.handshake_done = true;
    e.account = "completed DTLS with the attacker (its leg)";
  } else if (!e.truth.handshake_done) {
    e.peer_fingerprint = r.delivered_fp[i];  // the only certificate it would accept (RFC 8122 §5)
  }
  e.truth.dtls_peer_owner = e.truth.handshake_done ? room.owner(e) : "";
  if (!rep) {
    infer_unreported(e, i, room);
    return e;
  }
  e.truth.entered_data_phase = rep->connected;
  if (rep->connected && e.account.empty()) e.account = "reports its data channel open";
  if (!rep->error.empty()) {
    e.failure = rep->error;
    const std::string then = e.account.empty() ? "" : ", then ";
    // A connection that failed in ICE, before its DTLS transport began a
    // handshake, refused no certificate: a failure, not an alarm (drop-answer:
    // the answerer's ICE fails while the offerer waits for the answer).
    if (rep->dtls_state == "new") {
      e.account += then + "failed before DTLS began: " + rep->error;
    } else {
      e.truth.alarms.push_back(rep->error);
      e.account += then + "refused: " + rep->error;
    }
  }
  return e;
}

// Client i's result as a simulated peer's would read.
PeerResult live_peer_result(int i, const EndFacts& e, const RoomEvidence& room) {
  const LiveRoom& r = room.r;
  PeerResult p;
  p.report.name = r.labels[i];
  p.report.trust = "sdp-fingerprint";  // what every browser enforces (RFC 8122 §5)
  p.report.sdp_sent = r.sent_sdp[i];
  p.report.sdp_received = r.delivered_sdp[i];
  // RFC 8122 §5: the fingerprints a browser checks are those of the SDP it received.
  if (auto received = sdp::parse(r.delivered_sdp[i]))
    p.report.expected_fingerprints = sdp::transport_info(*received).fingerprints;
  p.report.dtls_peer_fingerprint = e.peer_fingerprint;
  p.report.handshake_done = e.truth.handshake_done;
  p.report.entered_data_phase = e.truth.entered_data_phase;
  p.report.alarms = e.truth.alarms;
  p.report.failure = e.failure;
  // Described and delivered, no handshake yet: connecting (ICE).
  p.report.state = !e.failure.empty()           ? PeerState::Failed
                   : e.truth.entered_data_phase ? PeerState::Data
                   : e.truth.handshake_done     ? PeerState::Dtls
                   : r.delivered[i]             ? PeerState::Ice
                                                : PeerState::Signaling;
  p.dtls_peer_owner = room.owner(e);
  return p;
}

}  // namespace

LiveVerdict judge_live_session(const std::string& room, const LiveRoom& r, const AttackerSessionReport& attack,
                               const CertificateRegistry& registry) {
  const RoomEvidence evidence{r, attack, registry};
  const EndFacts ends[2] = {judge_end(0, evidence), judge_end(1, evidence)};

  LiveVerdict v;
  SessionResult& s = v.session;
  s.room = room;
  const int off = r.offerer < 0 ? 0 : r.offerer, ans = 1 - off;
  s.offerer = r.labels[off];
  s.answerer = r.labels[ans];
  s.attacker = attack;
  s.outcome = classify(SessionTruth{ends[off].truth, ends[ans].truth, !attack.plaintext_read.empty(), false});
  s.pass = true;  // a live session states no expectation
  s.offerer_result = live_peer_result(off, ends[off], evidence);
  s.answerer_result = live_peer_result(ans, ends[ans], evidence);
  v.why = r.labels[off] + " " + ends[off].account + "; " + r.labels[ans] + " " + ends[ans].account;
  return v;
}

std::vector<SessionResult> judge_live_rooms(const LiveRecorder& recorder,
                                            const std::map<std::string, AttackerSessionReport>& attacker_sessions,
                                            const CertificateRegistry& registry, Timeline& timeline) {
  std::vector<SessionResult> sessions;
  for (const auto& [room, r] : recorder.rooms()) {
    if (r.offerer < 0) continue;
    const auto it = attacker_sessions.find(room);
    auto verdict =
        judge_live_session(room, r, it != attacker_sessions.end() ? it->second : AttackerSessionReport{}, registry);
    SessionResult& s = verdict.session;
    timeline.add("relay", events::kRelayOutcome,
                 "room " + room + ": " + std::string(to_string(s.outcome)) + " — " + verdict.why);
    sessions.push_back(std::move(s));
  }
  return sessions;
}

}  // namespace sigtrust
