// Fuzzes the identity-assertion parser (trust/identity_provider: verify_identity), which reads the
// a=identity value a possibly malicious relay delivers. Each input is tried twice: as the
// a=identity value itself, and as the contents of an assertion signed by the trusted IdP, so the
// fuzzer also reaches the parse behind the signature check. Properties: never crashes or throws
// (nesting included: the parser refuses more than 8 levels); a refusal has a reason; signed
// contents that are accepted name an identity, and an assertion the IdP makes for that identity
// and those fingerprints verifies to the same again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_check.hpp"
#include "trust/identity_provider.hpp"
#include "trust/signing_key.hpp"

using sigtrust::fuzz::check;

namespace {

const sigtrust::IdentityProvider& idp() {
  static const sigtrust::IdentityProvider p;
  return p;
}

const sigtrust::SigningKey& idp_key() {
  static const sigtrust::SigningKey k;
  return k;
}

std::string b64(std::string_view text) {
  return sigtrust::base64_encode({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  const auto raw = sigtrust::verify_identity(text, idp().public_key());
  if (!raw) check(!raw.error().message.empty(), "verify_identity error has a reason");

  // The input as contents signed by a key the verifier trusts.
  const nlohmann::json assertion{{"contents", text}, {"signature", sigtrust::base64_encode(idp_key().sign(text))}};
  const std::string inner = assertion.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const nlohmann::json outer{{"assertion", inner}};
  const auto a = sigtrust::verify_identity(b64(outer.dump()), idp_key().public_key());
  if (!a) {
    check(!a.error().message.empty(), "verify_identity error has a reason (signed contents)");
    return 0;
  }
  // Accepted contents: the IdP's own assertion of the same binding verifies to the same.
  const auto again = sigtrust::verify_identity(idp().assert_identity("u", a->fingerprints), idp().public_key());
  check(again.ok(), "an assertion of accepted fingerprints verifies", again.ok() ? "" : again.error().message);
  check(again->fingerprints.size() == a->fingerprints.size(), "the round trip keeps every fingerprint");
  for (std::size_t i = 0; i < a->fingerprints.size(); ++i)
    check(again->fingerprints[i] == a->fingerprints[i], "the round trip keeps each fingerprint");
  return 0;
}
