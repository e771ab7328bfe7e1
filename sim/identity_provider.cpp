#include "sim/identity_provider.hpp"

#include <nlohmann/json.hpp>

namespace sigtrust {

using nlohmann::json;

std::string identity_of(const std::string& user) { return user + "@" + IdentityProvider::kDomain; }

std::string IdentityProvider::assert_identity(const std::string& user,
                                              const std::vector<sdp::Fingerprint>& fingerprints) const {
  // RFC 8827 §5: the assertion's contents name the fingerprints; the IdP
  // signs them together with the identity it vouches for.
  json fps = json::array();
  for (const auto& f : fingerprints) fps.push_back({{"algorithm", f.hash}, {"digest", f.value}});
  const std::string contents = json{{"fingerprint", fps}, {"identity", identity_of(user)}}.dump();
  const auto sig = key_.sign(contents);
  const json assertion{{"contents", contents}, {"signature", base64_encode(sig)}};
  const json outer{{"idp", {{"domain", kDomain}, {"protocol", "default"}}}, {"assertion", assertion.dump()}};
  const std::string text = outer.dump();
  return base64_encode({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

Result<IdentityAssertion> verify_identity(const std::string& attribute_value, const PublicKey& idp) {
  // RFC 8827 §5: a=identity may carry extensions after a space; the assertion is the first token.
  const auto raw = base64_decode(attribute_value.substr(0, attribute_value.find(' ')));
  if (raw.empty()) return Error{"a=identity is not base64"};
  const json outer = json::parse(raw.begin(), raw.end(), nullptr, false);
  if (!outer.is_object() || !outer.contains("assertion") || !outer["assertion"].is_string())
    return Error{"a=identity does not carry an assertion"};
  const json assertion = json::parse(outer["assertion"].get<std::string>(), nullptr, false);
  if (!assertion.is_object() || !assertion.contains("contents") || !assertion["contents"].is_string() ||
      !assertion.contains("signature") || !assertion["signature"].is_string())
    return Error{"identity assertion lacks contents or signature"};
  const std::string contents = assertion["contents"].get<std::string>();
  if (!idp.verify(contents, base64_decode(assertion["signature"].get<std::string>())))
    return Error{"identity assertion signature does not verify with the trusted IdP key"};
  const json c = json::parse(contents, nullptr, false);
  if (!c.is_object() || !c.contains("identity") || !c["identity"].is_string() || !c.contains("fingerprint") ||
      !c["fingerprint"].is_array())
    return Error{"identity assertion contents are malformed"};
  IdentityAssertion out;
  out.identity = c["identity"].get<std::string>();
  for (const auto& f : c["fingerprint"]) {
    if (!f.is_object() || !f.contains("algorithm") || !f["algorithm"].is_string() || !f.contains("digest") ||
        !f["digest"].is_string())
      return Error{"identity assertion fingerprint entry is malformed"};
    out.fingerprints.push_back({f["algorithm"].get<std::string>(), f["digest"].get<std::string>()});
  }
  return out;
}

}  // namespace sigtrust
