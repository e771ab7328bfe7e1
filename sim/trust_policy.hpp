// Trust configurations: how a peer decides whether the DTLS certificate it
// was shown is the one of the peer it meant to talk to. Each is a named,
// documented policy (DESIGN.md's table, STYLE.md §10); the `*-bug` ones model
// real implementation bugs on purpose. A peer may combine several ("a+b"):
// all must accept.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/dtls_endpoint.hpp"
#include "sim/params.hpp"
#include "sim/sdp.hpp"

namespace sigtrust {

struct TrustCheck {
  const sdp::TransportInfo& remote;         // what the remote SDP (as received) said
  std::span<const std::uint8_t> peer_der;   // the certificate presented in the DTLS handshake
  DtlsRole role;                            // our DTLS role
};

struct TrustVerdict {
  bool accept = true;
  std::vector<std::string> alarms;  // alarm kinds, e.g. "fingerprint-mismatch"
  std::string detail;               // one sentence for the timeline
};

class TrustPolicy {
 public:
  virtual ~TrustPolicy() = default;
  virtual const std::string& name() const = 0;
  // Called from the DTLS verify callback, before the handshake completes.
  virtual TrustVerdict check_certificate(const TrustCheck& check) const = 0;
};

// Every trust configuration this build implements, in DESIGN.md order.
const std::vector<TrustDecl>& trust_configurations();

// Builds the policy for a combination of names (each from trust_configurations()).
std::unique_ptr<TrustPolicy> make_trust_policy(const std::vector<std::string>& names);

// Alarm kinds (stable: tests and reports use them).
namespace alarm {
inline constexpr const char* kFingerprintMismatch = "fingerprint-mismatch";
inline constexpr const char* kFingerprintMissing = "fingerprint-missing";
inline constexpr const char* kWeakHash = "fingerprint-weak-hash";
inline constexpr const char* kUnsupportedHash = "fingerprint-unsupported-hash";
}  // namespace alarm

}  // namespace sigtrust
