// The short human summary printed on stdout after a run.
#pragma once

#include <string>
#include <vector>

#include "sim/run_result.hpp"

namespace sigtrust::reports {

struct TerminalStyle {
  bool colour = false;
  bool verbose = false;  // include the timeline
};

std::string terminal_summary(const std::vector<RunResult>& runs, const TerminalStyle& style);

}  // namespace sigtrust::reports
