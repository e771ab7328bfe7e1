#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace sigtrust::cli {

// Bad usage: main() prints it with the usage text and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int matrix_command(const std::vector<std::string>& args);

}  // namespace sigtrust::cli
