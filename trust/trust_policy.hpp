// Trust configurations: how a peer decides whether the DTLS certificate it
// was shown is the one of the peer it meant to talk to. Each is a named,
// documented policy (docs/trust.md; docs/architecture.md, convention 10); the `*-bug` ones model
// real implementation bugs on purpose. A peer may combine several ("a+b"):
// all must accept.
//
// A policy acts at up to three points: it may add to the SDP its peer sends
// (an identity assertion, a signature), it checks the certificate inside the
// DTLS handshake, and it may hold the data back after the handshake until the
// users have compared something (a short authentication string).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/dtls_endpoint.hpp"
#include "trust/identity_provider.hpp"
#include "trust/out_of_band.hpp"
#include "core/params.hpp"
#include "core/sdp.hpp"
#include "trust/signing_key.hpp"

namespace sigtrust {

// Key continuity store (RFC 8122 §7 discusses it): what a peer pinned on
// first contact, per counterpart. Lives as long as the run.
using TofuStore = std::map<std::string, sdp::Fingerprint>;  // counterpart -> its sha-256 fingerprint

// Everything a peer's policy may consult besides the certificate.
struct TrustContext {
  std::string self;  // this peer
  std::string intended;  // the peer it means to talk to
  ParamValues params;  // of its trust configurations
  OutOfBand* oob = nullptr;  // the session's out-of-band channel, if declared
  const IdentityProvider* idp = nullptr;  // the run's IdP (peers trust its public key)
  const SigningKey* own_key = nullptr;  // this peer's long-term key
  std::function<const PublicKey*(const std::string&)> pinned_key;  // long-term keys pinned beforehand
  TofuStore* tofu = nullptr;  // this peer's continuity store
};

struct TrustCheck {
  const sdp::Session& remote_sdp;  // the remote SDP as received
  const sdp::TransportInfo& remote;  // its transport attributes
  std::span<const std::uint8_t> peer_der;  // the certificate presented in the DTLS handshake
  DtlsRole role;  // our DTLS role
};

struct TrustVerdict {
  bool accept = true;
  std::vector<std::string> alarms;  // alarm kinds, e.g. "fingerprint-mismatch"
  std::string detail;  // one sentence for the timeline
};

class TrustPolicy {
 public:
  virtual ~TrustPolicy() = default;
  virtual const std::string& name() const = 0;
  // Adds what this configuration sends to the local SDP (before it is sent).
  virtual void decorate(sdp::Session&, const std::vector<sdp::Fingerprint>& /*own*/) const {}
  // Called from the DTLS verify callback, before the handshake completes.
  virtual TrustVerdict check_certificate(const TrustCheck& check) const = 0;
  // True if the data must wait for after_handshake's verdict.
  virtual bool holds_data() const { return false; }
  // After the handshake, before data. `exporter` gives RFC 5705 keying
  // material of this DTLS session. Calls `done` once (possibly later).
  virtual void after_handshake(const std::function<std::vector<std::uint8_t>()>& /*exporter*/,
                               std::function<void(TrustVerdict)> done) const {
    done(TrustVerdict{true, {}, "nothing to compare"});
  }
};

// Every trust configuration this build implements, in the order of docs/trust.md.
const std::vector<TrustDecl>& trust_configurations();

// Builds the policy for a combination of names (each from trust_configurations()).
std::unique_ptr<TrustPolicy> make_trust_policy(const std::vector<std::string>& names, TrustContext context);

// Alarm kinds (stable: tests and reports use them).
namespace alarm {
inline constexpr const char* kFingerprintMismatch = "fingerprint-mismatch";
inline constexpr const char* kFingerprintMissing = "fingerprint-missing";
inline constexpr const char* kWeakHash = "fingerprint-weak-hash";
inline constexpr const char* kUnsupportedHash = "fingerprint-unsupported-hash";
inline constexpr const char* kOobMismatch = "oob-fingerprint-mismatch";
inline constexpr const char* kSasMismatch = "sas-mismatch";
inline constexpr const char* kIdentityMissing = "identity-missing";
inline constexpr const char* kIdentityInvalid = "identity-invalid";
inline constexpr const char* kIdentityMismatch = "identity-mismatch";
inline constexpr const char* kPinnedKeyMissing = "pinned-key-missing";
inline constexpr const char* kPinnedKeyMismatch = "pinned-key-mismatch";
inline constexpr const char* kTofuKeyChanged = "tofu-key-changed";
}  // namespace alarm

// The SDP attribute carrying a pinned-key signature over the fingerprints.
inline constexpr const char* kSignatureAttribute = "x-sigtrust-fingerprint-signature";

}  // namespace sigtrust
