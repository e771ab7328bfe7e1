#include "sim/peer.hpp"
#include "core/timeline_events.hpp"

#include "trust/out_of_band.hpp"

#include <algorithm>
#include <random>

namespace sigtrust {

Peer::Peer(MainLoop& loop, const Certificate& cert, PeerConfig config, Timeline& timeline)
    : loop_(loop), cert_(cert), config_(std::move(config)), timeline_(timeline) {
  report_.name = config_.name;
  for (const auto& t : config_.trust) report_.trust += (report_.trust.empty() ? "" : "+") + t;
  config_.trust_context.self = config_.name;
  config_.trust_context.intended = config_.counterpart;
  trust_ = make_trust_policy(config_.trust, config_.trust_context);
  std::random_device rd;
  session_id_ = (std::uint64_t{rd()} << 31) ^ rd();
}

Peer::~Peer() = default;

void Peer::event(const std::string& kind, const std::string& text, nlohmann::json data) {
  timeline_.add(config_.name, kind, text, std::move(data));
}

bool Peer::settled() const {
  if (failed() || report_.state == PeerState::Done) return true;
  return false;
}

std::string Peer::waiting_for() const {
  const auto& s = report_.state;
  if (s == PeerState::Signaling) {
    if (!joined_) return "the relay to accept its connection";
    if (config_.offerer) return remote_ready_ ? "the answer" : "the other peer to join the room";
    return "the offer";
  }
  if (s == PeerState::Ice) return "ICE connectivity checks to succeed";
  if (s == PeerState::Dtls) return "the DTLS handshake to complete";
  if (s == PeerState::Verifying) return "the users' out-of-band comparison";
  if (s == PeerState::Data)
    return "application messages (" + std::to_string(report_.received.size()) + " of " +
           std::to_string(config_.expected_incoming) + " received)";
  return "nothing";
}

void Peer::fail(const std::string& why) {
  if (failed()) return;
  report_.state = PeerState::Failed;
  report_.failure = why;
  report_.t_done_ms = timeline_.now_ms();
  event(events::kPeerFailed, why);
  if (config_.trust_context.oob) config_.trust_context.oob->give_up(config_.name);
  // Tell the other side over signaling, as applications do; a relay may drop it.
  if (signaling_) signaling_->send(serialize(SignalingMessage{SignalingMessage::Type::Bye, {}, {}, {}}));
}

void Peer::start() {
  report_.t_start_ms = timeline_.now_ms();
  report_.state = PeerState::Signaling;
  ice_ = std::make_unique<IceAgent>(
      loop_, IceOptions{config_.address, config_.offerer, config_.stun, config_.turn, config_.relay_only},
      IceCallbacks{
          .on_gathered =
              [this](const LocalIce& local) {
                local_ice_ = local;
                for (const auto& c : local.candidates) report_.local_addresses.push_back(c.address);
                event(events::kIceGathered, std::to_string(local.candidates.size()) + " local candidate(s)");
                if (config_.offerer) maybe_send_offer();
                else if (pending_offer_) {
                  auto offer = std::move(*pending_offer_);
                  pending_offer_.reset();
                  handle_remote_description(offer, true);
                }
              },
          .on_state =
              [this](IceState s) {
                if (s == IceState::Failed) fail("ICE failed: no candidate pair worked");
              },
          .on_ready = [this](const SelectedPair& p) { on_ice_ready(p); },
          .on_datagram = [this](std::span<const std::uint8_t> d) { on_datagram(d); },
      });
  ice_->gather();
  signaling_ = std::make_unique<SignalingClient>(
      loop_, config_.relay_url,
      SignalingClientCallbacks{
          .on_open =
              [this] {
                joined_ = true;
                event(events::kSignalingConnected, "joined the relay");
                signaling_->send(serialize(SignalingMessage{SignalingMessage::Type::Ready, {}, {}, {}}));
              },
          .on_message = [this](const std::string& text) { on_signaling(text); },
          .on_closed =
              [this](const std::string& why) {
                if (!settled() && report_.state == PeerState::Signaling) fail("signaling: " + why);
              },
      });
  signaling_->connect();
}

void Peer::on_signaling(const std::string& text) {
  auto msg = parse_signaling(text);
  if (!msg) {
    event(events::kSignalingMalformed, msg.error().message + "; ignored");
    return;
  }
  switch (msg->type) {
    case SignalingMessage::Type::Ready:
      remote_ready_ = true;
      if (config_.offerer) maybe_send_offer();
      break;
    case SignalingMessage::Type::Offer:
      if (config_.offerer || remote_) {
        event(events::kSignalingUnexpected, "unexpected offer; ignored");
        break;
      }
      if (!local_ice_) pending_offer_ = msg->sdp;
      else handle_remote_description(msg->sdp, true);
      break;
    case SignalingMessage::Type::Answer:
      if (!config_.offerer || !description_sent_ || remote_) {
        event(events::kSignalingUnexpected, "unexpected answer; ignored");
        break;
      }
      handle_remote_description(msg->sdp, false);
      break;
    case SignalingMessage::Type::Report:
      event(events::kSignalingUnexpected, "a client's report reached a peer; ignored");
      break;
    case SignalingMessage::Type::Candidate:
      // Our peers send complete SDP; trickled candidates from others are not used.
      event(events::kSignalingCandidate, "trickled candidate ignored (complete SDP expected)");
      break;
    case SignalingMessage::Type::Bye:
      if (!settled()) {
        report_.state = PeerState::Closed;
        report_.failure = "the other side hung up";
        report_.t_done_ms = timeline_.now_ms();
        event(events::kPeerClosed, "received bye: the other side hung up");
        if (dtls_) dtls_->close();
      }
      break;
  }
}

void Peer::close_ice(std::function<void()> done) {
  if (!ice_) return done();
  ice_->close_async(std::move(done));
}

void Peer::maybe_send_offer() {
  if (!config_.offerer || description_sent_ || !remote_ready_ || !local_ice_ || failed()) return;
  send_description();
}

void Peer::send_description() {
  sdp::DataChannelDescription d;
  d.session_id = session_id_;
  d.ice_ufrag = local_ice_->ufrag;
  d.ice_pwd = local_ice_->pwd;
  d.fingerprints.push_back(cert_.fingerprint());
  // RFC 5763 §5: the offerer MUST use actpass; the answerer picks a role.
  if (config_.offerer) d.setup = "actpass";
  else d.setup = report_.dtls_role == DtlsRole::Client ? "active" : "passive";
  for (const auto& c : local_ice_->candidates)
    // Behind a NAT the private address is useless to the other side (browsers hide it behind mDNS).
    if (!(config_.behind_nat && c.type == "host")) d.candidates.push_back(c);
  sdp::Session local = sdp::make_data_channel(d);
  trust_->decorate(local, d.fingerprints);
  report_.sdp_sent = sdp::write(local);
  const auto type = config_.offerer ? SignalingMessage::Type::Offer : SignalingMessage::Type::Answer;
  signaling_->send(serialize(SignalingMessage{type, report_.sdp_sent, {}, {}}));
  description_sent_ = true;
  event(config_.offerer ? events::kSignalingOfferSent : events::kSignalingAnswerSent,
        std::string("sent ") + (config_.offerer ? "offer" : "answer") + " with fingerprint " +
            sdp::format_fingerprint(cert_.fingerprint()),
        {{"sdp", report_.sdp_sent}});
}

void Peer::handle_remote_description(const std::string& sdp_text, bool is_offer) {
  const char* what = is_offer ? "offer" : "answer";
  report_.sdp_received = sdp_text;
  auto parsed = sdp::parse(sdp_text);
  if (!parsed) {
    event(events::kSdpMalformed, std::string("malformed ") + what + ": " + parsed.error().message);
    fail(std::string("malformed SDP ") + what + ": " + parsed.error().message);
    return;
  }
  remote_ = sdp::transport_info(*parsed);
  remote_sdp_ = std::move(*parsed);
  report_.expected_fingerprints = remote_->fingerprints;
  std::string fps;
  for (const auto& f : remote_->fingerprints) fps += (fps.empty() ? "" : ", ") + sdp::format_fingerprint(f);
  event(is_offer ? events::kSignalingOfferReceived : events::kSignalingAnswerReceived,
        std::string("received ") + what + (fps.empty() ? " without a fingerprint" : " with fingerprint " + fps),
        {{"sdp", sdp_text}});
  for (const auto& bad : remote_->bad_candidates)
    event(events::kSdpBadCandidate, "unparsable candidate ignored: " + bad.substr(0, 120));

  // DTLS role from a=setup (RFC 5763 §5, RFC 8842 §5).
  const std::string setup = remote_->setup.value_or("");
  if (is_offer) {
    // RFC 4145 §4: a missing a=setup means active.
    if (setup == "actpass" || setup == "passive") report_.dtls_role = DtlsRole::Client;
    else if (setup == "active" || setup.empty()) report_.dtls_role = DtlsRole::Server;
    else return fail("offer has unusable a=setup:" + setup);
  } else {
    if (setup == "active") report_.dtls_role = DtlsRole::Server;
    else if (setup == "passive") report_.dtls_role = DtlsRole::Client;
    else
      return fail("answer has unusable a=setup:" + (setup.empty() ? std::string("(none)") : setup) +
                  " (RFC 5763 §5: the answerer must choose active or passive)");
  }
  event(events::kDtlsRole, std::string("remote a=setup:") + (setup.empty() ? "(none)" : setup) +
                               ", so this end is the DTLS " + std::string(to_string(*report_.dtls_role)));

  if (!remote_->ice_ufrag || !remote_->ice_pwd) return fail(std::string(what) + " lacks ICE credentials");
  auto added = ice_->set_remote(*remote_->ice_ufrag, *remote_->ice_pwd, remote_->candidates);
  if (!added) return fail(std::string("ICE: ") + added.error().message);
  if (*added == 0) return fail(std::string(what) + " has no usable ICE candidate");
  report_.state = PeerState::Ice;
  create_dtls();
  if (is_offer) send_description();
}

void Peer::create_dtls() {
  dtls_ = std::make_unique<DtlsEndpoint>(
      loop_, cert_, *report_.dtls_role,
      DtlsCallbacks{
          .send =
              [this](std::span<const std::uint8_t> d) {
                // Until libnice selects a pair, sends fail: keep them for later (docs/architecture.md, measured facts).
                if (!ice_ready_ || !ice_->send(d)) early_out_.emplace_back(d.begin(), d.end());
              },
          .verify = [this](std::span<const std::uint8_t> der) { return verify(der); },
          .on_connected = [this] { on_dtls_connected(); },
          .on_failed = [this](const std::string& why) { fail(why); },
          .on_data =
              [this](std::string_view data) {
                // Held back, unread, until the users' comparison lets the data through.
                if (report_.state == PeerState::Verifying) {
                  held_.emplace_back(data);
                  return;
                }
                report_.received.emplace_back(data);
                event(events::kDataReceived, "received \"" + std::string(data.substr(0, 200)) + "\"");
                if (report_.received.size() >= config_.expected_incoming &&
                    report_.sent.size() == config_.outgoing.size() && report_.state == PeerState::Data) {
                  report_.state = PeerState::Done;
                  report_.t_done_ms = timeline_.now_ms();
                }
              },
          .on_closed = [this] { event(events::kDtlsClosed, "the DTLS peer sent close_notify"); },
          .key_log = config_.key_log,
          .on_flight_held = nullptr,
      });
  for (auto& d : early_in_) dtls_->receive(d);
  early_in_.clear();
  if (ice_ready_ && dtls_->role() == DtlsRole::Client) dtls_->start();
}

void Peer::on_ice_ready(const SelectedPair& pair) {
  ice_ready_ = true;
  report_.selected_pair = pair;
  report_.t_ice_ms = timeline_.now_ms();
  event(events::kIceReady,
        "selected pair " + pair.local_type + " " + pair.local + " -> " + pair.remote_type + " " + pair.remote);
  if (report_.state == PeerState::Ice) report_.state = PeerState::Dtls;
  auto out = std::move(early_out_);
  early_out_.clear();
  for (auto& d : out) ice_->send(d);
  if (dtls_ && dtls_->role() == DtlsRole::Client) dtls_->start();
}

void Peer::on_datagram(std::span<const std::uint8_t> d) {
  if (dtls_) dtls_->receive(d);
  else if (early_in_.size() < 64) early_in_.emplace_back(d.begin(), d.end());
}

void Peer::record_verdict(const TrustVerdict& v, const char* stage) {
  for (const auto& a : v.alarms) {
    if (std::find(report_.alarms.begin(), report_.alarms.end(), a) == report_.alarms.end()) report_.alarms.push_back(a);
    event(events::kAlarm, a + ": " + v.detail, {{"alarm", a}});
  }
  event(std::string(v.accept ? events::kTrustAccepted : events::kTrustRejected), std::string(stage) + ": " + v.detail,
        {{"certificate", sdp::format_fingerprint(report_.dtls_peer_fingerprint)}});
}

bool Peer::verify(std::span<const std::uint8_t> der) {
  if (auto fp = fingerprint_of(der, "sha-256")) report_.dtls_peer_fingerprint = std::move(*fp);
  static const sdp::Session kNoSdp;
  static const sdp::TransportInfo kNone;
  const TrustVerdict v = trust_->check_certificate(
      TrustCheck{remote_sdp_ ? *remote_sdp_ : kNoSdp, remote_ ? *remote_ : kNone, der, *report_.dtls_role});
  record_verdict(v, "certificate check");
  return v.accept;
}

void Peer::on_dtls_connected() {
  report_.handshake_done = true;
  report_.t_dtls_ms = timeline_.now_ms();
  event(events::kDtlsConnected,
        "DTLS handshake complete as " + std::string(to_string(*report_.dtls_role)) + "; peer certificate " +
            sdp::format_fingerprint(report_.dtls_peer_fingerprint) + "; DTLS-SRTP " +
            (dtls_->srtp_profile() ? std::string(to_string(*dtls_->srtp_profile())) : "not negotiated"));
  if (!trust_->holds_data()) return enter_data_phase();
  // The users compare before anything is sent (e.g. a short authentication string).
  report_.state = PeerState::Verifying;
  trust_->after_handshake(
      [this] {
        auto bytes = dtls_->export_keying_material(kSasExporterLabel, kSasExporterBytes);
        return bytes ? *bytes : std::vector<std::uint8_t>{};
      },
      [this](TrustVerdict v) {
        if (report_.state != PeerState::Verifying) return;
        record_verdict(v, "comparison");
        if (v.accept) return enter_data_phase();
        if (dtls_) dtls_->close();
        fail(v.alarms.empty() ? v.detail : "the users' comparison failed: " + v.detail);
      });
}

void Peer::enter_data_phase() {
  report_.entered_data_phase = true;
  report_.state = PeerState::Data;
  for (auto& h : held_) {
    event(events::kDataReceived, "received \"" + h.substr(0, 200) + "\" (held during the comparison)");
    report_.received.push_back(std::move(h));
  }
  held_.clear();
  for (const auto& m : config_.outgoing) {
    if (!dtls_->send(m)) {
      event(events::kDataSendFailed, "could not send \"" + m.substr(0, 200) + "\"");
      continue;
    }
    report_.sent.push_back(m);
    event(events::kDataSent, "sent \"" + m.substr(0, 200) + "\"");
  }
  if (report_.received.size() >= config_.expected_incoming) {
    report_.state = PeerState::Done;
    report_.t_done_ms = timeline_.now_ms();
  }
}

}  // namespace sigtrust
