// The result document of `sigtrust interop` (docs/interop.md): "command":
// "interop", and "cells" (one a pair of real stacks under one attack) where
// the other commands' documents have "runs". The report writers read runs;
// they render an interop document through its run view, one run a cell.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sigtrust::reports {

// Whether `doc` is an interop result document ("command": "interop").
bool is_interop(const nlohmann::json& doc);

// Empty if an interop document has the shape the view and `report merge`
// rely on, else what is wrong and where ("$.cells[2].outcome: expected a string").
std::string check_interop_document(const nlohmann::json& doc);

// An interop cell's identity: "OFFERER/ANSWERER/ATTACK".
std::string interop_cell_id(const nlohmann::json& cell);

// The interop document as a result document of runs, for the report writers:
// each cell a run (scenario and cell its identity, attack its attack, trust
// its pair "OFFERER/ANSWERER", so a matrix shows attacks × pairs) with one
// session ("alice (OFFERER)" → "bob (ANSWERER)" with what the relay knows of
// each — the cell's peers, attacker and timings —, the outcome, the expected
// outcome, pass when the cell met it) and a timeline holding the relay's why
// and, for a failed cell, the failure with the adapter's stderr tail. Any other
// document is returned as it is.
nlohmann::json runs_view(const nlohmann::json& doc);

// The stack × attack table of an interop document's runs view (runs_view),
// for the HTML and Markdown reports: rows its attacks, columns its ordered
// pairs "OFFERER → ANSWERER", both in order of first appearance; a cell holds
// the outcome, whether it met its expectation, and what the stacks said: each
// adapter's error text, else a broken adapter's failure (for a tooltip or a
// footnote). `versions` lists each stack of the document's "stacks" with its
// version ("missing" when it was not present).
struct InteropCell {
  std::string outcome, expected, note;
  bool met = true;
};
struct InteropTable {
  std::vector<std::string> attacks, pairs;
  std::map<std::pair<std::string, std::string>, InteropCell> cells;  // (attack, pair)
  std::vector<std::pair<std::string, std::string>> versions;  // (stack, version)
  const InteropCell* cell(const std::string& attack, const std::string& pair) const;
};
// Empty (no pairs) unless `view` is an interop document's runs view.
InteropTable interop_table(const nlohmann::json& view);

// An interop document's summary, counted from its cells: cells, deviations
// (cells that did not meet their expectation), met_on_rerun (cells that met
// it only on a rerun, `sigtrust interop --reruns`), missing_stacks (the
// stacks whose entry says present: false).
nlohmann::json interop_summary(const nlohmann::json& doc);
// "408 cell(s), 0 deviation(s), 1 met only on a rerun, missing stack(s) [...]"
// from interop_summary's result: the last line `sigtrust interop` prints.
std::string interop_summary_line(const nlohmann::json& summary);

}  // namespace sigtrust::reports
