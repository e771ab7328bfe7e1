// Self-signed ECDSA P-256 certificate of one node (peer, attacker, TURN
// node), made at start-up, and RFC 8122 fingerprints of DER certificates.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/sdp.hpp"

namespace sigtrust {

class Certificate {
 public:
  // Throws gnutls::Failure (a simulator failure) if GnuTLS cannot make a key.
  explicit Certificate(const std::string& common_name);
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  const std::vector<std::uint8_t>& der() const { return der_; }
  // Its sha-256 fingerprint (RFC 8122 §5, upper-case hex): how the SDP, the
  // trust policies and the ground truth name this certificate.
  const sdp::Fingerprint& fingerprint() const { return fingerprint_; }
  // The fingerprint under another hash (e.g. "sha-1" for a downgrade).
  Result<sdp::Fingerprint> fingerprint(std::string_view hash) const;

  struct Native;  // GnuTLS credentials; visible to dtls_endpoint.cpp only
  const Native& native() const { return *native_; }

 private:
  std::unique_ptr<Native> native_;
  std::vector<std::uint8_t> der_;
  sdp::Fingerprint fingerprint_;
};

// RFC 8122 §5 fingerprint of a DER certificate under `hash` (sha-1, sha-224,
// sha-256, sha-384, sha-512, md5; case-insensitive). md2 and unknown hashes
// are errors.
Result<sdp::Fingerprint> fingerprint_of(std::span<const std::uint8_t> der, std::string_view hash);

}  // namespace sigtrust
