// The declarative attack `sdp-rules`: line rules from the scenario file
// (scenario::SdpRule) applied to the SDP of offers and answers in flight, with
// or without the MITM bridge behind them. A new signaling attack is then a
// scenario file, not C++ (docs/attacks.md, "Writing an attack as SDP rules").
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/signaling_message.hpp"
#include "sim/attack.hpp"
#include "sim/scenario.hpp"

namespace sigtrust::attacks {

// The rules compiled once per run (the loader has checked that they compile).
class SdpRules {
 public:
  // {attacker-fingerprint} in a replacement becomes `attacker_fingerprint`'s
  // RFC 8122 text ("sha-256 AB:…").
  SdpRules(const std::vector<scenario::SdpRule>& rules, const sdp::Fingerprint& attacker_fingerprint);
  bool applies_to(SignalingMessage::Type type) const;
  // Pure: `sdp` with every rule for `type` applied to each line in order;
  // lines made empty are removed. Lines end in CRLF (RFC 8866 §5) on output,
  // whatever they ended in on input. Lines longer than 4096 bytes are left
  // alone (an SDP line is far shorter; the regex engine recurses per character).
  std::string apply(const std::string& sdp, SignalingMessage::Type type) const;

 private:
  struct Rule {
    std::regex re;
    std::string replace;  // placeholders already filled in
    bool offer, answer;
  };
  std::vector<Rule> rules_;
};

// attack `sdp-rules`: without the bridge, an interceptor that rewrites the
// SDP text; with params {bridge: true}, the MITM bridge with the victims'
// fingerprints kept, the rules applied after it wrote its own ICE data.
std::unique_ptr<Attack> make_sdp_rules(AttackWorld& world);

}  // namespace sigtrust::attacks
