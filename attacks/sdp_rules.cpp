#include "attacks/sdp_rules.hpp"

#include "attacks/mitm_bridge.hpp"
#include "attacks/sdp_rewrite.hpp"
#include "core/timeline_events.hpp"
#include "net/certificate.hpp"

namespace sigtrust::attacks {
namespace {

constexpr size_t kMaxRuleLine = 4096;

std::string fill_placeholders(std::string text, const std::string& fingerprint) {
  const std::string p = scenario::kAttackerFingerprintPlaceholder;
  for (size_t pos = text.find(p); pos != std::string::npos; pos = text.find(p, pos + fingerprint.size()))
    text.replace(pos, p.size(), fingerprint);
  return text;
}

// The rules without the bridge: the victims still talk to each other, each
// reading the SDP the rules wrote.
class RulesInterceptor : public SignalingInterceptor {
 public:
  RulesInterceptor(AttackWorld& w, SdpRules rules) : world_(w), rules_(std::move(rules)) {}
  void on_message(const RelayedMessage& m, Deliver deliver) override {
    auto msg = parse_signaling(m.text);
    if (!msg || !rules_.applies_to(msg->type)) return deliver(m.text);
    SignalingMessage out = *msg;
    out.sdp = rules_.apply(msg->sdp, msg->type);
    if (out.sdp == msg->sdp) {
      world_.timeline.add(world_.name, events::kAttackSkipped,
                          "no SDP rule matched the " + std::string(to_string(msg->type)) + " from " + m.from_label);
      return deliver(m.text);
    }
    record_rewrite(world_.timeline, world_.name, m, "applied its SDP rules to the " + std::string(to_string(msg->type)),
                   msg->sdp, out.sdp);
    deliver(serialize(out));
  }

 private:
  AttackWorld& world_;
  SdpRules rules_;
};

struct RulesAttack : Attack {
  explicit RulesAttack(AttackWorld& w) : cert(w.name), interceptor(w, SdpRules(w.sdp_rules, cert.fingerprint())) {
    w.present_certificate(cert);
  }
  SignalingInterceptor* signaling() override { return &interceptor; }
  Certificate cert;
  RulesInterceptor interceptor;
};

struct BridgedRules : Attack {
  BridgedRules(AttackWorld& w, BridgeOptions o) : bridge(w, std::move(o)) {}
  SignalingInterceptor* signaling() override { return &bridge; }
  MitmBridge bridge;
};

}  // namespace

SdpRules::SdpRules(const std::vector<scenario::SdpRule>& rules, const sdp::Fingerprint& attacker_fingerprint) {
  const std::string fingerprint = sdp::format_fingerprint(attacker_fingerprint);
  for (const auto& r : rules)
    rules_.push_back(Rule{std::regex(r.match, std::regex::ECMAScript), fill_placeholders(r.replace, fingerprint),
                          r.offer, r.answer});
}

bool SdpRules::applies_to(SignalingMessage::Type type) const {
  for (const auto& r : rules_)
    if ((type == SignalingMessage::Type::Offer && r.offer) || (type == SignalingMessage::Type::Answer && r.answer))
      return true;
  return false;
}

std::string SdpRules::apply(const std::string& sdp, SignalingMessage::Type type) const {
  std::string out;
  size_t start = 0;
  while (start < sdp.size()) {
    size_t end = sdp.find('\n', start);
    if (end == std::string::npos) end = sdp.size();
    std::string line = sdp.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() <= kMaxRuleLine) {
      bool touched = false;
      for (const auto& r : rules_) {
        const bool here =
            (type == SignalingMessage::Type::Offer && r.offer) || (type == SignalingMessage::Type::Answer && r.answer);
        if (!here || !std::regex_search(line, r.re)) continue;
        line = std::regex_replace(line, r.re, r.replace);
        touched = true;
      }
      if (touched && line.empty()) continue;  // a line the rules emptied goes
    }
    out += line + "\r\n";
  }
  return out;
}

std::unique_ptr<Attack> make_sdp_rules(AttackWorld& w) {
  if (w.params.count("bridge") && w.params.at("bridge") == "true") {
    BridgeOptions o;
    o.style = FingerprintStyle::Keep;
    o.forward_bye = w.params.count("forward-bye") && w.params.at("forward-bye") == "true";
    o.sdp_rules = w.sdp_rules;
    return std::make_unique<BridgedRules>(w, std::move(o));
  }
  return std::make_unique<RulesAttack>(w);
}

}  // namespace sigtrust::attacks
