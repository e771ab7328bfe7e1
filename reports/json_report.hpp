// The result document (DESIGN.md): the contract with CI and other tools.
// Fields may be added; the documented ones stay.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "sim/run_result.hpp"

namespace sigtrust::reports {

nlohmann::json result_document(const std::vector<RunResult>& runs);

}  // namespace sigtrust::reports
