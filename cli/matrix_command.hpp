#pragma once

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace sigtrust::cli {

// Bad usage: main() prints it with the usage text and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `stop` (optional): set on SIGINT/SIGTERM; the matrix then ends at once and
// writes the cells it has, the others marked interrupted.
int matrix_command(const std::vector<std::string>& args, const std::atomic<bool>* stop = nullptr);

}  // namespace sigtrust::cli
