// Long-term ECDSA P-256 signing keys (GnuTLS): the identity provider's key and
// the peers' pinned keys. The verifying side holds only a PublicKey.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sigtrust {

class PublicKey {
 public:
  ~PublicKey();
  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  // False for a signature that does not verify, including malformed ones.
  bool verify(std::string_view data, std::span<const std::uint8_t> signature) const;

  struct Native;

 private:
  friend class SigningKey;
  PublicKey();
  std::unique_ptr<Native> native_;
};

class SigningKey {
 public:
  SigningKey();  // generates a fresh key; throws gnutls::Failure if GnuTLS cannot
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  std::vector<std::uint8_t> sign(std::string_view data) const;
  const PublicKey& public_key() const { return public_; }

 private:
  struct Native;
  std::unique_ptr<Native> native_;
  PublicKey public_;
};

std::string base64_encode(std::span<const std::uint8_t> data);
// Empty on malformed input (GLib's decoder is lenient; callers verify signatures anyway).
std::vector<std::uint8_t> base64_decode(std::string_view text);

}  // namespace sigtrust
