// One paragraph per attack, summarising docs/attacks.md: what the attacker
// does, what the standards say and which trust configuration catches it. The
// one place report writers take attack help text from (SARIF rule help, the
// HTML and Markdown reports). When an attack is added to the registry, add its
// note here and its section to docs/attacks.md.
#pragma once

#include <span>
#include <string_view>

namespace sigtrust::reports {

struct AttackNote {
  std::string_view name;  // the attack's stable name (docs/architecture.md vocabulary)
  std::string_view position;  // signaling, TURN, STUN or "-"
  std::string_view summary;  // one line
  std::string_view help;  // one paragraph
};

std::span<const AttackNote> attack_notes();

// The note for `name`, or a generic note naming it when there is none.
AttackNote attack_note(std::string_view name);

}  // namespace sigtrust::reports
