// The man in the middle at the signaling position. For each room it gives
// each victim an ICE agent and credentials of the attacker's own, writes them
// and the attacker's fingerprint into the SDP it forwards, completes a DTLS
// handshake with each victim in the role that victim's a=setup implies
// (RFC 5763 §5), and forwards application data between the two legs,
// reading — and, if asked, rewriting — every message.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "sim/attack.hpp"
#include "net/certificate.hpp"
#include "net/ice_agent.hpp"
#include "core/sdp.hpp"

namespace sigtrust::attacks {

class SdpRules;

// How the attacker's fingerprint goes into the forwarded SDP.
enum class FingerprintStyle {
  Swap,  // swap-mitm: the victim's fingerprint replaced by the attacker's
  Strip,  // strip-mitm: no a=fingerprint at all
  Append,  // append-mitm: the attacker's added after the real one
  Prepend,  // prepend-mitm: the attacker's added before the real one
  Downgrade,  // downgrade-mitm: the real one kept, the attacker's added under a weaker hash
  HashSwap,  // hash-swap-mitm: the real one replaced by the attacker's, under a weaker hash
  Keep,  // sdp-rules with bridge: the victims' fingerprints left as they are (the rules decide)
};

struct BridgeOptions {
  FingerprintStyle style = FingerprintStyle::Swap;
  std::string downgrade_hash = "sha-1";  // the weaker hash of Downgrade and HashSwap
  std::vector<std::string> strip_attributes;  // further attributes to remove (e.g. "identity")
  // A victim's `bye` tells the other victim that its peer refused the
  // session. A real attacker keeps each victim unaware of the other's
  // refusal, so the bridge drops it unless asked to forward it; each victim
  // then ends on its own check, whichever end refuses first.
  bool forward_bye = false;
  // sas-grind-mitm: on the leg where the attacker is the DTLS client, once
  // the other leg is up and its SAS known, try up to `grind_budget` key
  // shares until this leg's SAS (`grind_bits` long, as the victims' app
  // renders it) equals the other's (0: no grind). DTLS 1.2 lets the client
  // pick its share after seeing the server's; see DtlsEndpoint::grind.
  std::uint64_t grind_budget = 0;
  unsigned grind_bits = 20;
  // sdp-rules with bridge: the scenario's line rules, applied to the SDP the
  // bridge forged (after its own ICE data went in).
  std::vector<scenario::SdpRule> sdp_rules = {};
};

// What any man in the middle does with a plaintext message it decrypted on
// one leg: records it, applies the scenario's rewrite rules (each recorded in
// the report and the timeline), and returns what to send on the other leg.
std::string read_plaintext(AttackWorld& world, AttackerSessionReport& report, const std::string& from,
                           std::string text);

// The SDP the bridge forwards (pure): `original` with the attacker's ICE
// credentials and candidates, its fingerprint(s) as `options.style` says, and
// `options.strip_attributes` removed.
std::string forge_sdp(const sdp::Session& original, const LocalIce& attacker_ice, const Certificate& attacker_cert,
                      const BridgeOptions& options);

// The rewrite rules alone: returns `text` with every matching rule applied,
// each change recorded in the report and the timeline.
std::string apply_rewrites(AttackWorld& world, AttackerSessionReport& report, std::string text);

class MitmBridge : public SignalingInterceptor {
 public:
  MitmBridge(AttackWorld& world, BridgeOptions options);
  ~MitmBridge() override;
  void on_message(const RelayedMessage& m, Deliver deliver) override;
  // Its legs (agents, sockets, DTLS) go with the room: a live relay runs long.
  void on_room_closed(const std::string& room) override;

  struct RoomBridge;

 private:
  AttackWorld& world_;
  BridgeOptions options_;
  Certificate cert_;
  std::unique_ptr<SdpRules> rules_;  // options_.sdp_rules, compiled
  std::map<std::string, std::unique_ptr<RoomBridge>> rooms_;
};

}  // namespace sigtrust::attacks
