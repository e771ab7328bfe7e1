// The attack × trust table of a result document whose runs are matrix cells:
// rows attacks, columns trust configurations, cells the outcome of each run's
// last session (the attacked one). A cell that missed its expectation is
// marked with '!'.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace sigtrust::reports {

std::string matrix_table(const nlohmann::json& document, bool colour);

}  // namespace sigtrust::reports
