#include "cli/install_paths.hpp"

#include <cstdlib>
#include <filesystem>

namespace sigtrust::cli {

namespace fs = std::filesystem;

std::string catalogue_dir() {
  if (const char* env = std::getenv("SIGTRUST_SCENARIOS")) return env;
  // Installed: the data lives beside the binary's bin/, so the package works
  // wherever its tree is unpacked (dpkg --instdir, dpkg -x, a relocated prefix).
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = (exe.parent_path() / SIGTRUST_DATA_FROM_BIN / "scenarios").lexically_normal();
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return SIGTRUST_SCENARIO_DIR;
}

std::string matrix_expectations_path() { return (fs::path(catalogue_dir()) / "matrix" / "expected.yaml").string(); }

}  // namespace sigtrust::cli
