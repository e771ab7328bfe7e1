// The short human summary printed on stdout after a run, and by
// `sigtrust report RESULT.json --format terminal`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/run_result.hpp"

namespace sigtrust::reports {

struct TerminalStyle {
  bool colour = false;
  bool verbose = false;  // include the timeline
};

// From the result document (reports::result_document): per run and session
// the outcome, expectation and whose certificate each peer saw; for several
// runs varying attack or trust, the matrix with coloured outcomes.
std::string terminal_summary(const nlohmann::json& doc, const TerminalStyle& style);

// Only the attack × trust table (empty when the runs vary neither), for `sigtrust matrix`.
std::string terminal_matrix(const nlohmann::json& doc, const TerminalStyle& style);

// The same, from the engine's results.
std::string terminal_summary(const std::vector<RunResult>& runs, const TerminalStyle& style);

}  // namespace sigtrust::reports
