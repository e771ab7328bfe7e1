#include "trust/identity_provider.hpp"

#include <nlohmann/json.hpp>

namespace sigtrust {

using nlohmann::json;

namespace {

// An assertion nests three levels at most (contents: object, fingerprint
// array, entry object). Parsing is iterative, but copying, comparing or
// destroying a json value recurses once per level: an a=identity of
// "[[[[..." thousands deep would overflow a small stack (an ASan build, a
// thread's). Refused before anything below the limit is built.
constexpr int kMaxAssertionDepth = 8;

// Parses `text` as JSON of at most kMaxAssertionDepth levels; a discarded
// value if it is not JSON, `too_deep` set if it nests deeper.
template <typename Text>
json parse_bounded(const Text& text, bool& too_deep) {
  too_deep = false;
  const auto bound = [&too_deep](int depth, json::parse_event_t event, json&) {
    const bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (!opens || depth < kMaxAssertionDepth) return true;
    too_deep = true;
    return false;
  };
  return json::parse(text.begin(), text.end(), bound, /*allow_exceptions=*/false);
}

}  // namespace

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
  bool too_deep = false;
  const auto deep = [] { return Error{"identity assertion nests deeper than 8 levels"}; };
  const json outer = parse_bounded(raw, too_deep);
  if (too_deep) return deep();
  if (!outer.is_object() || !outer.contains("assertion") || !outer["assertion"].is_string())
    return Error{"a=identity does not carry an assertion"};
  const json assertion = parse_bounded(outer["assertion"].get_ref<const std::string&>(), too_deep);
  if (too_deep) return deep();
  if (!assertion.is_object() || !assertion.contains("contents") || !assertion["contents"].is_string() ||
      !assertion.contains("signature") || !assertion["signature"].is_string())
    return Error{"identity assertion lacks contents or signature"};
  const std::string contents = assertion["contents"].get<std::string>();
  if (!idp.verify(contents, base64_decode(assertion["signature"].get<std::string>())))
    return Error{"identity assertion signature does not verify with the trusted IdP key"};
  // Signed by the trusted IdP, but still bounded: the key vouches for who
  // wrote it, not for how it is shaped.
  const json c = parse_bounded(contents, too_deep);
  if (too_deep) return deep();
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
