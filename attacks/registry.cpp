#include "attacks/registry.hpp"

#include "attacks/mitm_bridge.hpp"
#include "attacks/sdp_rewrite.hpp"
#include "attacks/sdp_rules.hpp"
#include "attacks/turn_attacks.hpp"
#include "net/certificate.hpp"
#include "trust/trust_policy.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::attacks {
namespace {

// Wraps an interceptor as an Attack at the signaling position.
template <typename Interceptor>
struct SignalingAttack : Attack {
  template <typename... Args>
  explicit SignalingAttack(Args&&... args) : interceptor(std::forward<Args>(args)...) {}
  SignalingInterceptor* signaling() override { return &interceptor; }
  Interceptor interceptor;
};

std::unique_ptr<Attack> bridge(AttackWorld& w, FingerprintStyle style, std::string hash = "sha-1",
                               std::vector<std::string> strip = {}) {
  const bool forward_bye = w.params.count("forward-bye") && w.params.at("forward-bye") == "true";
  return std::make_unique<SignalingAttack<MitmBridge>>(
      w, BridgeOptions{style, std::move(hash), std::move(strip), forward_bye});
}

// What every bridging attack accepts.
std::vector<ParamDecl> bridge_params(std::vector<ParamDecl> own = {}) {
  own.push_back({"forward-bye",
                 ParamDecl::Type::Bool,
                 "false",
                 {},
                 0,
                 0,
                 "forward a victim's bye to the other victim (a real attacker drops it)"});
  return own;
}

// fingerprint-only: the attacker's fingerprint in both directions, nothing else.
struct FingerprintOnly : Attack {
  explicit FingerprintOnly(AttackWorld& w)
      : cert(w.name),
        rewriter(w.timeline, w.name, true, true,
                 [this](sdp::Session& s, const RelayedMessage&, SignalingMessage::Type) {
                   set_fingerprints(s, {cert.fingerprint()});
                 }) {
    w.present_certificate(cert);
  }
  SignalingInterceptor* signaling() override { return &rewriter; }
  Certificate cert;
  SdpRewriter rewriter;
};

// setup-flip: the answer's a=setup inverted, so both ends take the same DTLS role.
std::unique_ptr<Attack> setup_flip(AttackWorld& w) {
  return std::make_unique<SignalingAttack<SdpRewriter>>(
      w.timeline, w.name, false, true, [](sdp::Session& s, const RelayedMessage&, SignalingMessage::Type) {
        const auto setup = sdp::transport_info(s).setup.value_or("active");
        set_setup(s, setup == "passive" ? "active" : "passive");
      });
}

// drop-answer: the answer never arrives.
struct DropAnswer : SignalingInterceptor {
  explicit DropAnswer(AttackWorld& w) : world(w) {}
  void on_message(const RelayedMessage& m, Deliver deliver) override {
    auto msg = parse_signaling(m.text);
    if (msg && msg->type == SignalingMessage::Type::Answer) {
      world.timeline.add(world.name, events::kAttackDropped,
                         "dropped the answer from " + m.from_label + " to " + m.to_label);
      return;
    }
    deliver(m.text);
  }
  AttackWorld& world;
};

}  // namespace

const std::vector<AttackPlugin>& registry() {
  static const std::vector<AttackPlugin> all = {
      {{"none", AttackPosition::None, "honest run, the baseline", {}}, nullptr},
      {{"swap-mitm", AttackPosition::Signaling,
        "replaces fingerprint, ICE credentials and candidates with the attacker's; bridges two DTLS sessions",
        bridge_params(), true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::Swap); }},
      {{"strip-mitm", AttackPosition::Signaling, "removes a=fingerprint; bridges", bridge_params(), true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::Strip); }},
      {{"append-mitm", AttackPosition::Signaling, "adds the attacker's fingerprint after the real one; bridges",
        bridge_params(), true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::Append); }},
      {{"prepend-mitm", AttackPosition::Signaling, "adds the attacker's fingerprint before the real one; bridges",
        bridge_params(), true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::Prepend); }},
      {{"downgrade-mitm", AttackPosition::Signaling,
        "keeps the real sha-256 fingerprint and adds the attacker's under a weaker hash (sha-1, md5); bridges",
        bridge_params({{"hash",
                        ParamDecl::Type::Choice,
                        "sha-1",
                        {"sha-1", "md5"},
                        0,
                        0,
                        "weaker hash the attacker's added fingerprint is written with"}}),
        true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::Downgrade, w.params.at("hash")); }},
      {{"hash-swap-mitm", AttackPosition::Signaling,
        "replaces the fingerprint with the attacker's under another hash (sha-1, md5); bridges",
        bridge_params({{"hash",
                        ParamDecl::Type::Choice,
                        "sha-1",
                        {"sha-1", "md5"},
                        0,
                        0,
                        "hash function the attacker's fingerprint is written with"}}),
        true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::HashSwap, w.params.at("hash")); }},
      {{"sas-grind-mitm", AttackPosition::Signaling,
        "swap-mitm that, as DTLS client, tries key shares until both victims' SAS strings match; bridges",
        bridge_params({{"budget",
                        ParamDecl::Type::Int,
                        "64",
                        {},
                        1,
                        1000000,
                        "key shares it tries at most (each a fresh DTLS client handshake up to its key exchange)"},
                       {"sas-bits",
                        ParamDecl::Type::Int,
                        "20",
                        {},
                        4,
                        20,
                        "length in bits of the SAS the victims' app shows (the attacker knows the app)"}}),
        true},
       [](AttackWorld& w) {
         BridgeOptions o;
         o.style = FingerprintStyle::Swap;
         o.forward_bye = w.params.count("forward-bye") && w.params.at("forward-bye") == "true";
         o.grind_budget = std::stoull(w.params.at("budget"));
         o.grind_bits = static_cast<unsigned>(std::stoul(w.params.at("sas-bits")));
         return std::make_unique<SignalingAttack<MitmBridge>>(w, std::move(o));
       }},
      // RFC 8827 §5: without the assertion, an identity-optional peer has only the SDP to go on.
      {{"identity-strip-mitm", AttackPosition::Signaling, "swap-mitm that also removes a=identity", bridge_params(),
        true},
       [](AttackWorld& w) { return bridge(w, FingerprintStyle::Swap, "sha-1", {"identity"}); }},
      {{"fingerprint-only", AttackPosition::Signaling, "replaces the fingerprint only, no bridge", {}},
       [](AttackWorld& w) -> std::unique_ptr<Attack> { return std::make_unique<FingerprintOnly>(w); }},
      // Declarative: the scenario's sdp_rules say what it does (attacks/sdp_rules.hpp).
      {{"sdp-rules", AttackPosition::Signaling,
        "applies the scenario's SDP line rules (match/replace) to offers and answers; bridges if asked",
        bridge_params({{"bridge",
                        ParamDecl::Type::Bool,
                        "false",
                        {},
                        0,
                        0,
                        "put the MITM bridge behind the rules: its own ICE data in the SDP, a DTLS session with each "
                        "victim"}}),
        false, true},
       &make_sdp_rules},
      {{"setup-flip", AttackPosition::Signaling, "rewrites a=setup so both ends take the same DTLS role", {}},
       &setup_flip},
      {{"drop-answer", AttackPosition::Signaling, "never delivers the answer", {}},
       [](AttackWorld& w) -> std::unique_ptr<Attack> { return std::make_unique<SignalingAttack<DropAnswer>>(w); }},
      {{"turn-eavesdrop", AttackPosition::Turn, "records every relayed datagram", {}}, &make_turn_eavesdrop},
      {{"turn-tamper", AttackPosition::Turn, "flips bytes in relayed DTLS records", {}}, &make_turn_tamper},
      {{"turn-mitm", AttackPosition::Turn, "terminates DTLS towards each peer with its own certificate", {}},
       &make_turn_mitm},
      {{"stun-lie",
        AttackPosition::Stun,
        "answers Binding requests with the attacker's address as mapped address and forwards",
        {}},
       &make_stun_lie},
  };
  return all;
}

std::unique_ptr<Attack> make_attack(const std::string& name, AttackWorld& world) {
  for (const auto& p : registry())
    if (p.decl.name == name) return p.make ? p.make(world) : nullptr;
  return nullptr;
}

Vocabulary vocabulary() {
  Vocabulary v;
  for (const auto& p : registry()) v.attacks.push_back(p.decl);
  v.trust = trust_configurations();
  return v;
}

}  // namespace sigtrust::attacks
