// An identity provider in the shape of RFC 8827: it signs assertions that
// bind a user's identity to the fingerprints of their DTLS certificate. The
// assertion travels in `a=identity` (RFC 8827 §5, base64 of JSON naming the
// IdP and carrying the signed assertion); peers trust the IdP's public key.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/sdp.hpp"
#include "trust/signing_key.hpp"

namespace sigtrust {

struct IdentityAssertion {
  std::string identity;  // "alice@idp.sigtrust.test"
  std::vector<sdp::Fingerprint> fingerprints;
};

class IdentityProvider {
 public:
  static constexpr const char* kDomain = "idp.sigtrust.test";

  // The a=identity value for `user` binding `fingerprints`.
  std::string assert_identity(const std::string& user, const std::vector<sdp::Fingerprint>& fingerprints) const;
  const PublicKey& public_key() const { return key_.public_key(); }

 private:
  SigningKey key_;
};

// Verifies an a=identity value against the IdP's public key. Input comes from
// the network: anything malformed is an error, never a crash.
Result<IdentityAssertion> verify_identity(const std::string& attribute_value, const PublicKey& idp);

std::string identity_of(const std::string& user);  // "user@idp.sigtrust.test"

}  // namespace sigtrust
