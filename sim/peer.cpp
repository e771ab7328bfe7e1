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
  report_.media = config_.tone_hz.has_value();
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
  if (s == PeerState::Data && report_.received.size() < config_.expected_incoming)
    return "application messages (" + std::to_string(report_.received.size()) + " of " +
           std::to_string(config_.expected_incoming) + " received)";
  if (s == PeerState::Data)
    return "the call's audio (" + std::to_string(report_.media_sent) + " of " + std::to_string(kTonePackets) +
           " packets sent, " + std::to_string(report_.media_received) + " received)";
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
          .on_first_check = {},
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
  d.audio = report_.media;
  d.audio_payload_type = kOpusPayloadType;
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
                if (report_.sent.size() == config_.outgoing.size()) maybe_done();
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
  if (is_rtp_or_rtcp(d)) return on_media(d);  // RFC 7983 §7: RTP/RTCP, not DTLS
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
  key_media();
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
  if (srtp_out_) send_media();
  maybe_done();
}

void Peer::maybe_done() {
  if (report_.state != PeerState::Data || report_.received.size() < config_.expected_incoming) return;
  if (report_.media && !media_settled()) return;
  report_.state = PeerState::Done;
  report_.t_done_ms = timeline_.now_ms();
}

// ----- A call: the tone out and the other side's in, over SRTP (RFC 5764) -----

bool Peer::media_settled() const {
  if (media_off_) return true;
  return media_tried_ >= kTonePackets && (report_.media_received >= kTonePackets || media_drained_);
}

void Peer::key_media() {
  if (!report_.media) return;
  auto off = [this](const std::string& why) {
    media_off_ = true;
    event(events::kMediaEnded, "no call: " + why);
  };
  if (!dtls_->srtp_profile()) return off("DTLS-SRTP was not negotiated");
  auto keys = dtls_->srtp_keys();
  if (!keys) return off("no SRTP keys: " + keys.error().message);
  auto in = SrtpContext::make(*keys, *report_.dtls_role, SrtpContext::Direction::Inbound);
  auto out = SrtpContext::make(*keys, *report_.dtls_role, SrtpContext::Direction::Outbound);
  if (!in || !out) return off((in ? out.error() : in.error()).message);
  std::random_device rd;
  auto tone = OpusTone::make(*config_.tone_hz, rd());
  if (!tone) return off(tone.error().message);
  srtp_in_.emplace(std::move(*in));
  srtp_out_.emplace(std::move(*out));
  tone_.emplace(std::move(*tone));
  event(events::kMediaKeyed, "SRTP keyed from the DTLS handshake (" + std::string(to_string(keys->profile)) + ")");
  auto early = std::move(early_media_);
  early_media_.clear();
  for (const auto& p : early) on_media(p);
}

void Peer::send_media() {
  auto packet = tone_->next_packet();
  if (!packet || !srtp_out_->protect(*packet, false)) {
    media_off_ = true;
    event(events::kMediaEnded,
          "the call stopped: " + (packet ? std::string("SRTP protect failed") : packet.error().message));
    return maybe_done();
  }
  ++media_tried_;
  if (ice_->send(*packet) && ++report_.media_sent == 1)
    event(events::kMediaSending, "sending a " + std::to_string(static_cast<int>(*config_.tone_hz)) +
                                     " Hz tone as Opus over SRTP (" + std::to_string(kTonePackets) + " packets of " +
                                     std::to_string(kOpusFrameMs) + " ms)");
  if (media_tried_ < kTonePackets && !failed()) {
    media_timer_ = loop_.after(std::chrono::milliseconds(kOpusFrameMs), [this] { send_media(); });
    return;
  }
  media_timer_ = loop_.after(kMediaDrain, [this] {
    media_drained_ = true;
    maybe_done();
  });
  event(events::kMediaEnded, "sent " + std::to_string(report_.media_sent) + " packets; received " +
                                 std::to_string(report_.media_received) + " so far");
  maybe_done();
}

void Peer::on_media(std::span<const std::uint8_t> d) {
  if (!srtp_in_) {
    // The other end's keys came from the same handshake, which may end there first.
    if (report_.media && !media_off_ && !failed() && early_media_.size() < 64)
      early_media_.emplace_back(d.begin(), d.end());
    else reject_media(report_.media ? "RTP/RTCP without SRTP keys" : "RTP/RTCP in a session without media");
    return;
  }
  std::vector<std::uint8_t> p(d.begin(), d.end());
  const bool rtcp = is_rtcp(p);
  if (!srtp_in_->unprotect(p, rtcp)) return reject_media(rtcp ? "SRTCP unprotect failed" : "SRTP unprotect failed");
  if (rtcp) return;
  const auto h = parse_rtp(p);
  if (!h || h->payload_type != kOpusPayloadType) return reject_media("not an Opus RTP packet of this session");
  if (++report_.media_received == 1)
    event(events::kMediaReceiving, "receiving the other side's audio (SSRC " + std::to_string(h->ssrc) + ")");
  maybe_done();
}

void Peer::reject_media(const std::string& why) {
  ++report_.media_rejected;
  // The first of each ten: a stream of bad packets is counted, not logged a line each.
  if (report_.media_rejected % 10 == 1)
    event(events::kMediaRejected,
          "packet refused: " + why + " (" + std::to_string(report_.media_rejected) + " so far)");
}

}  // namespace sigtrust
