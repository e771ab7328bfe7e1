#include "attacks/turn_attacks.hpp"

#include <map>

#include "attacks/mitm_bridge.hpp"
#include "attacks/relay_tap.hpp"
#include "attacks/stun_node.hpp"
#include "attacks/turn_node.hpp"
#include "net/certificate.hpp"
#include "net/dtls_endpoint.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::attacks {
namespace {

// RFC 7983 §7: a first byte of 20..63 is DTLS (STUN is 0..3, ChannelData 64..79).
bool is_dtls(const std::vector<std::uint8_t>& d) { return d.size() >= 13 && d[0] >= 20 && d[0] <= 63; }
bool is_client_hello(const std::vector<std::uint8_t>& d) {
  return is_dtls(d) && d[0] == 22 && d.size() > 13 && d[13] == 1;
}

// A TURN node of the attacker's, serving as the peers' TURN server.
class TurnPosition : public Attack, public RelayTap {
 public:
  explicit TurnPosition(AttackWorld& w)
      : world_(w), node_(w.loop, w.address, TurnCredentials{"peer", "turn-password", "sigtrust"}, w.timeline, w.name) {
    node_.set_tap(this);
  }
  std::optional<IceServer> turn_server() override {
    return IceServer{node_.address(), node_.port(), node_.credentials().username, node_.credentials().password};
  }

 protected:
  AttackerSessionReport& report() { return world_.sessions[kAllSessions]; }
  AttackWorld& world_;
  TurnNode node_;
};

class TurnEavesdrop : public TurnPosition {
 public:
  using TurnPosition::TurnPosition;
  bool on_datagram(RelayedDatagram& d) override {
    // Count each datagram once, on its way out of the sender's allocation.
    if (d.direction == RelayDirection::ToPeer && is_dtls(d.data)) {
      if (report().ciphertext_bytes == 0)
        world_.timeline.add(world_.name, events::kAttackRecording, "recording DTLS records relayed from " + d.client);
      report().ciphertext_bytes += d.data.size();
    }
    return true;
  }
};

class TurnTamper : public TurnPosition {
 public:
  using TurnPosition::TurnPosition;
  bool on_datagram(RelayedDatagram& d) override {
    // Handshake records (content type 22) carry the transcript both ends
    // hash into Finished (RFC 6347 §4.2.6): one flipped byte breaks it.
    if (d.direction == RelayDirection::ToPeer && is_dtls(d.data) && d.data[0] == 22) {
      d.data.back() ^= 0x01;
      ++flipped_;
      if (flipped_ <= 3)
        world_.timeline.add(world_.name, events::kAttackTamper,
                            "flipped the last byte of a DTLS handshake record from " + d.client + " to " + d.peer);
    }
    return true;
  }

 private:
  int flipped_ = 0;
};

// The MITM bridge at the TURN position: both peers relay through the node, so
// the attacker answers each one's DTLS itself, as the other, with its own
// certificate, and carries the plaintext across.
class TurnMitm : public TurnPosition {
 public:
  explicit TurnMitm(AttackWorld& w) : TurnPosition(w), cert_(w.name) { w.present_certificate(cert_); }

  bool on_datagram(RelayedDatagram& d) override {
    if (d.direction != RelayDirection::ToPeer || !is_dtls(d.data)) return true;  // STUN checks pass untouched
    auto it = legs_.find(d.relayed);
    if (it == legs_.end()) {
      if (!is_client_hello(d.data)) return false;
      // The first ClientHello names the DTLS client; the attacker is the
      // server towards it and the client towards the other side.
      open_leg(d.relayed, d.peer, DtlsRole::Server);
      // The other side's allocation is the one whose relayed address is d.peer.
      open_leg(d.peer, d.relayed, DtlsRole::Client);
      it = legs_.find(d.relayed);
    }
    report().ciphertext_bytes += d.data.size();
    it->second.dtls->receive(d.data);
    return false;  // never reaches the other peer: the attacker answers
  }

 private:
  struct Leg {
    std::string relayed, peer;
    std::unique_ptr<DtlsEndpoint> dtls;
    std::vector<std::string> pending;
  };

  void open_leg(const std::string& relayed, const std::string& peer, DtlsRole role) {
    Leg& leg = legs_[relayed];
    leg.relayed = relayed;
    leg.peer = peer;
    leg.dtls = std::make_unique<DtlsEndpoint>(
        world_.loop, cert_, role,
        DtlsCallbacks{
            .send = [this, relayed,
                     peer](std::span<const std::uint8_t> out) { node_.send_to_client(relayed, peer, out); },
            .verify = [](std::span<const std::uint8_t>) { return true; },
            .on_connected =
                [this, relayed] {
                  Leg& l = legs_[relayed];
                  world_.timeline.add(
                      world_.name, events::kAttackLegConnected,
                      "DTLS with the client of " + relayed + " as " + std::string(to_string(l.dtls->role())));
                  for (const auto& p : l.pending) l.dtls->send(p);
                  l.pending.clear();
                },
            .on_failed =
                [this, relayed](const std::string& why) {
                  world_.timeline.add(world_.name, events::kAttackLegFailed, relayed + ": " + why);
                },
            .on_data = [this, relayed](std::string_view data) { carry(relayed, std::string(data)); },
            .on_closed = nullptr,
            .key_log = world_.key_log,
            .on_flight_held = nullptr,
        });
    world_.timeline.add(
        world_.name, events::kAttackIntercept,
        "answering DTLS for the client of allocation " + relayed + " as " + std::string(to_string(role)));
    if (role == DtlsRole::Client) leg.dtls->start();
  }

  void carry(const std::string& from, std::string text) {
    text = read_plaintext(world_, report(), "the client of " + from, std::move(text));
    Leg& to = legs_[legs_[from].peer];
    if (to.dtls && to.dtls->state() == DtlsEndpoint::State::Connected) to.dtls->send(text);
    else to.pending.push_back(std::move(text));
  }

  Certificate cert_;
  std::map<std::string, Leg> legs_;  // by the relayed address of the victim's allocation
};

class StunLie : public Attack, public RelayTap {
 public:
  explicit StunLie(AttackWorld& w) : world_(w), node_(w.loop, w.address, w.timeline, w.name) { node_.set_tap(this); }
  std::optional<IceServer> stun_server() override { return IceServer{node_.address(), node_.port(), "", ""}; }
  // DTLS through a forwarding socket in either direction: which way a
  // session's records cross the attacker depends on the pair ICE nominates
  // (a peer sending to the other's lying address, or answering a check that
  // came through its own), so counting one direction alone sometimes missed
  // a session that ran wholly through the attacker.
  bool on_datagram(RelayedDatagram& d) override {
    if (is_dtls(d.data)) {
      if (world_.sessions[kAllSessions].ciphertext_bytes == 0)
        world_.timeline.add(world_.name, events::kAttackOnPath,
                            "DTLS from " + d.client + " passes through the attacker");
      world_.sessions[kAllSessions].ciphertext_bytes += d.data.size();
    }
    return true;
  }

 private:
  AttackWorld& world_;
  LyingStunNode node_;
};

}  // namespace

std::unique_ptr<Attack> make_turn_eavesdrop(AttackWorld& w) { return std::make_unique<TurnEavesdrop>(w); }
std::unique_ptr<Attack> make_turn_tamper(AttackWorld& w) { return std::make_unique<TurnTamper>(w); }
std::unique_ptr<Attack> make_turn_mitm(AttackWorld& w) { return std::make_unique<TurnMitm>(w); }
std::unique_ptr<Attack> make_stun_lie(AttackWorld& w) { return std::make_unique<StunLie>(w); }

}  // namespace sigtrust::attacks
