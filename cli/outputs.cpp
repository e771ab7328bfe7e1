#include "cli/outputs.hpp"

#include <filesystem>
#include <iostream>

#include "cli/matrix_command.hpp"
#include "reports/report_set.hpp"

namespace sigtrust::cli {

namespace fs = std::filesystem;

KeyLogs::KeyLogs(const std::string& key_log_path, const std::string& report_dir) {
  if (!key_log_path.empty()) {
    file_.open(key_log_path);
    if (!file_) throw UsageError("cannot write " + key_log_path);
  }
  if (!report_dir.empty()) {
    std::error_code ec;
    fs::create_directories(report_dir, ec);
    if (ec) throw UsageError("cannot create " + report_dir + ": " + ec.message());
    const auto path = fs::path(report_dir) / "keys.log";
    dir_file_.open(path);
    if (!dir_file_) throw UsageError("cannot write " + path.string());
  }
}

void KeyLogs::write(const std::string& line) {
  std::lock_guard lock(mu_);
  // Flushed per line: Wireshark may read the file while a relay still runs.
  if (file_.is_open()) file_ << line << "\n" << std::flush;
  if (dir_file_.is_open()) dir_file_ << line << "\n" << std::flush;
}

bool write_outputs(const nlohmann::json& doc, const std::string& json_path, const std::string& report_dir) {
  try {
    if (!json_path.empty()) reports::write_file(json_path, reports::render(reports::Format::Json, doc));
    if (!report_dir.empty()) reports::write_report_dir(report_dir, doc);
  } catch (const std::exception& e) {
    std::cerr << "sigtrust: " << e.what() << "\n";
    return false;
  }
  return true;
}

}  // namespace sigtrust::cli
