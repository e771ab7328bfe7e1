#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace sigtrust::cli {

// `stop` (optional): set on SIGINT/SIGTERM; the matrix then ends at once and
// writes the cells it has, the others marked interrupted.
int matrix_command(const std::vector<std::string>& args, const std::atomic<bool>* stop = nullptr);

}  // namespace sigtrust::cli
