// The small interface between the engine and attack plug-ins (STYLE.md §8).
// An attack is created per run with an AttackWorld: the hooks and resources it
// may use. It hooks only what it needs; the engine knows nothing of any
// particular attack.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/ice_agent.hpp"
#include "sim/main_loop.hpp"
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
};

// Ground truth: which node owns which certificate (by sha-256 fingerprint).
class CertificateRegistry {
 public:
  void add(const std::string& fingerprint, const std::string& owner) { owners_[fingerprint] = owner; }
  std::string owner(const std::string& fingerprint) const {
    auto it = owners_.find(fingerprint);
    return it == owners_.end() ? (fingerprint.empty() ? "" : "unknown") : it->second;
  }

 private:
  std::map<std::string, std::string> owners_;
};

struct AttackWorld {
  MainLoop& loop;
  Timeline& timeline;
  CertificateRegistry& registry;
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
