// The small interface between the engine and attack plug-ins (docs/architecture.md, convention 8).
// An attack is created per run with an AttackWorld: the hooks and resources it
// may use. It hooks only what it needs; the engine knows nothing of any
// particular attack.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/ice_agent.hpp"
#include "sim/main_loop.hpp"
#include "sim/outcome.hpp"
#include "sim/params.hpp"
#include "sim/scenario.hpp"
#include "sim/signaling_relay.hpp"
#include "sim/timeline.hpp"

namespace sigtrust {

class Certificate;

// What the attacker got out of one session (one relay room).
struct AttackerSessionReport {
  std::vector<std::string> plaintext_read;  // application messages it decrypted
  std::uint64_t ciphertext_bytes = 0;       // bytes it carried or recorded
  std::vector<std::string> rewritten;       // "from -> to" for messages changed in flight
  unsigned dtls_legs = 0;                   // DTLS handshakes it completed with victims (bridges)
  std::string certificate_fingerprint;      // of the certificate it presented in them
  // Ground truth per victim: the victims whose DTLS handshake with the
  // attacker completed (each of them authenticated the attacker's
  // certificate), and the DTLS-SRTP profile of that leg ("" without use_srtp).
  std::vector<std::string> legs_connected;
  std::map<std::string, std::string> srtp_profiles;
  // Media it decrypted (SRTP through the bridge), per SSRC.
  struct MediaStream {
    std::string from;   // the victim that sent it
    std::string kind;   // "audio", "video" (from the SDP's m= line), "" if unknown
    std::string codec;  // the a=rtpmap encoding, e.g. "opus/48000/2"
    int payload_type = -1;
    std::uint64_t packets = 0, bytes = 0;  // RTP packets and payload bytes read
    std::uint64_t undecodable = 0;         // payloads the recorder could not decode
    std::vector<std::string> files;        // recordings written (Opus: a WAV file)
  };
  std::map<std::uint32_t, MediaStream> media;
  std::uint64_t rtcp_packets = 0;    // SRTCP packets it decrypted and forwarded
  std::uint64_t media_rejected = 0;  // RTP/RTCP malformed, unauthenticated, replayed or unroutable
  // sas-grind-mitm: key shares tried on its DTLS-client leg, and whether one
  // gave that leg the other leg's SAS.
  std::uint64_t grind_tries = 0;
  bool grind_matched = false;
};

// Ground truth: which node owns which certificate (by sha-256 fingerprint).
// Only the engine writes it (attacks present their certificates through
// AttackWorld::present_certificate, which binds them to the attacker's name).
// A fingerprint once bound keeps its owner: a second binding to another node
// is refused and kept as a refusal, so nothing can turn an attacker's
// certificate into a victim's after the fact.
class CertificateRegistry {
 public:
  // False (and a refusal is recorded) if `fingerprint` already belongs to
  // another owner; binding it again to the same owner is harmless.
  bool add(const std::string& fingerprint, const std::string& owner) {
    auto [it, inserted] = owners_.emplace(fingerprint, owner);
    if (inserted || it->second == owner) return true;
    if (refusals_.size() < kMaxRefusals)
      refusals_.push_back("a certificate of " + it->second + " (" + fingerprint.substr(0, 40) + "…) claimed for " + owner);
    return false;
  }
  std::string owner(const std::string& fingerprint) const {
    auto it = owners_.find(fingerprint);
    return it == owners_.end() ? (fingerprint.empty() ? "" : std::string(kUnregisteredOwner)) : it->second;
  }
  // Refused rebindings, oldest first (at most kMaxRefusals are kept).
  const std::vector<std::string>& refusals() const { return refusals_; }

 private:
  static constexpr size_t kMaxRefusals = 16;
  std::map<std::string, std::string> owners_;
  std::vector<std::string> refusals_;
};

struct AttackWorld {
  MainLoop& loop;
  Timeline& timeline;
  // Every certificate the attack presents (in DTLS, or as a fingerprint it
  // writes into SDP) must be announced here before use: the engine binds it
  // to the attacker's name in the ground truth. The attack cannot name the
  // owner; a certificate that is already another node's is refused and the
  // run ends `error`. One never announced is unregistered, and a peer that
  // talks to it makes the session `error` too (the classifier fails closed).
  std::function<void(const Certificate&)> present_certificate;
  std::string address;                 // the attacker's own loopback address
  std::string name = "mallory";        // the attacker node's name in reports
  const ParamValues& params;           // declared parameters, validated
  std::vector<scenario::RewriteRule> rewrite;    // application-data rewrites (bridging attacks)
  std::map<std::string, AttackerSessionReport>& sessions;  // keyed by relay room
  std::function<void(const std::string&)> key_log;         // NSS key log sink (optional)
  std::string media_dir;  // where a bridge writes the media it decrypts ("" records none)
};

class Attack {
 public:
  virtual ~Attack() = default;
  // The hook on signaling messages in flight, if this attack uses it.
  virtual SignalingInterceptor* signaling() { return nullptr; }
  // The attacker's own STUN or TURN node, if the attack sits at that
  // position: the peers gather from it instead of from an honest node.
  virtual std::optional<IceServer> stun_server() { return std::nullopt; }
  virtual std::optional<IceServer> turn_server() { return std::nullopt; }
};

}  // namespace sigtrust
