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

#include "net/certificate.hpp"
#include "net/ice_agent.hpp"
#include "net/main_loop.hpp"
#include "core/outcome.hpp"
#include "core/run_result.hpp"
#include "core/params.hpp"
#include "sim/scenario.hpp"
#include "net/signaling_relay.hpp"
#include "core/timeline.hpp"

namespace sigtrust {

// Ground truth: which node owns which certificate (by its fingerprints).
// Only the engine writes it (attacks present their certificates through
// AttackWorld::present_certificate, which binds them to the attacker's name).
// A fingerprint once bound keeps its owner: a second binding to another node
// is refused and kept as a refusal, so nothing can turn an attacker's
// certificate into a victim's after the fact.
class CertificateRegistry {
 public:
  // False (and a refusal is recorded) if `fingerprint` already belongs to
  // another owner; binding it again to the same owner is harmless.
  bool add(const sdp::Fingerprint& fingerprint, const std::string& owner) {
    auto [it, inserted] = owners_.emplace(fingerprint, owner);
    if (inserted || it->second == owner) return true;
    if (refusals_.size() < kMaxRefusals)
      refusals_.push_back("a certificate of " + it->second + " (" + sdp::format_fingerprint(fingerprint).substr(0, 40) +
                          "…) claimed for " + owner);
    return false;
  }
  // Binds `certificate` under its fingerprint in every hash RFC 8122 §5 lets an
  // SDP line name (sha-1, sha-224, sha-256, sha-384, sha-512, md5): a real
  // stack reports the certificate it authenticated hashed as the line it
  // checked named it (libdatachannel under hash-swap-mitm: sha-1), and under
  // any hash it is the same certificate. False if any was refused.
  bool add(const Certificate& certificate, const std::string& owner) {
    bool ok = add(certificate.fingerprint(), owner);
    for (const char* hash : {"sha-1", "sha-224", "sha-384", "sha-512", "md5"})
      if (auto f = certificate.fingerprint(hash); f.ok()) ok = add(*f, owner) && ok;
    return ok;
  }
  // The owner of a certificate, kUnregisteredOwner for one nobody bound,
  // "" for none (a peer that saw no certificate).
  std::string owner(const std::optional<sdp::Fingerprint>& fingerprint) const {
    if (!fingerprint) return "";
    auto it = owners_.find(*fingerprint);
    return it == owners_.end() ? std::string(kUnregisteredOwner) : it->second;
  }
  // Refused rebindings, oldest first (at most kMaxRefusals are kept).
  const std::vector<std::string>& refusals() const { return refusals_; }

 private:
  static constexpr size_t kMaxRefusals = 16;
  std::map<sdp::Fingerprint, std::string> owners_;
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
  std::string address;  // the attacker's own loopback address
  std::string name = "mallory";  // the attacker node's name in reports
  const ParamValues& params;  // declared parameters, validated
  std::vector<scenario::RewriteRule> rewrite;  // application-data rewrites (bridging attacks)
  std::map<std::string, AttackerSessionReport>& sessions;  // keyed by relay room
  std::function<void(const std::string&)> key_log;  // NSS key log sink (optional)
  std::string media_dir;  // where a bridge writes the media it decrypts ("" records none)
  std::vector<scenario::SdpRule> sdp_rules;  // the line rules of attack sdp-rules (from the scenario)
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
