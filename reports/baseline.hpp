// Comparing two result documents: which sessions (cells of a matrix) changed
// outcome between a baseline and now. `sigtrust diff OLD NEW` prints it;
// `--baseline OLD` on run and matrix marks each session of the new document
// with its state, which the terminal summary and SARIF (baselineState) use,
// so CI shows only what changed.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sigtrust::reports {

using nlohmann::json;

// A session's identity across documents: scenario, attack, trust, the pair
// and the round ("swap-mitm | swap-mitm | sdp-fingerprint | alice -> bob | round 0").
std::string session_key(const json& run, const json& session);

struct SessionChange {
  std::string key;
  std::string old_outcome, new_outcome;  // "" when absent on that side
  bool old_pass = false, new_pass = false;
};

struct DocumentDiff {
  std::vector<SessionChange> changed;  // in both, outcome or pass differs
  std::vector<SessionChange> added;  // only in the new document
  std::vector<SessionChange> removed;  // only in the baseline
  std::size_t unchanged = 0;
  bool empty() const { return changed.empty() && added.empty() && removed.empty(); }
};

DocumentDiff diff_documents(const json& baseline, const json& now);

// One line per change and a count line ("3 changed, 1 new, 0 gone, 40 unchanged").
std::string diff_text(const DocumentDiff& d);

// Marks every session of `doc` with "baseline": {"state": "new" |
// "unchanged" | "updated", "outcome": <the baseline's, or null>} and the
// document with "baseline": {"changed", "new", "absent", "unchanged"} counts.
void apply_baseline(json& doc, const json& baseline);

}  // namespace sigtrust::reports
