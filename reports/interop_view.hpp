// The result document of `sigtrust interop` (docs/interop.md): "command":
// "interop", and "cells" (one a pair of real stacks under one attack) where
// the other commands' documents have "runs". The report writers read runs;
// they render an interop document through its run view, one run a cell.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

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

// An interop document's summary, counted from its cells: cells, deviations
// (cells that did not meet their expectation), missing_stacks (the stacks
// whose entry says present: false).
nlohmann::json interop_summary(const nlohmann::json& doc);

}  // namespace sigtrust::reports
