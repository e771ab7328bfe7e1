// A sequence diagram of one run, derived from its timeline: a lifeline per
// actor that appears (peers, relay, attacker, STUN/TURN nodes, IdP; the
// engine is left out) and an arrow or note per event that crosses the wire or
// matters to the verdict: signaling (rewritten messages highlighted), ICE,
// DTLS, data, alarms, what the attacker read. Drawn as inline SVG.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sigtrust::reports {

struct SequenceStep {
  enum class Kind { Arrow, Note, Divider };  // a divider spans every lifeline (a new round)
  Kind kind = Kind::Note;
  std::size_t from = 0, to = 0;  // lifeline indices (equal for a note)
  bool both_ways = false;  // ICE and DTLS are exchanges, not one message
  std::string label;
  std::string style;  // signaling, rewritten, ice, dtls, data, alarm, attack, ok, info
  double t_ms = 0;
};

struct SequenceDiagram {
  std::vector<std::string> lifelines;
  std::vector<SequenceStep> steps;
};

// The diagram of one run of the result document.
SequenceDiagram sequence_of(const nlohmann::json& run);

// Inline SVG; every label is XML-escaped. `id_prefix` keeps marker ids unique
// when several diagrams share a page.
std::string sequence_svg(const SequenceDiagram& d, const std::string& id_prefix);

}  // namespace sigtrust::reports
