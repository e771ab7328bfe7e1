#include "cli/outputs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/matrix_command.hpp"
#include "reports/baseline.hpp"
#include "reports/interop_view.hpp"
#include "reports/report_set.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::cli {

namespace fs = std::filesystem;

namespace {

// DTLS secrets decrypt every session of the run: readable by the owner only
// (mode 0600, also when the file existed with wider permissions).
void open_secret(std::ofstream& file, const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw UsageError("cannot write " + path + ": " + why);
  }
  ::close(fd);
  file.open(path, std::ios::out | std::ios::trunc);
  if (!file) throw UsageError("cannot write " + path);
}

}  // namespace

KeyLogs::KeyLogs(const std::string& key_log_path, const std::string& report_dir) {
  if (!key_log_path.empty()) open_secret(file_, key_log_path);
  if (!report_dir.empty()) {
    std::error_code ec;
    fs::create_directories(report_dir, ec);
    if (ec) throw UsageError("cannot create " + report_dir + ": " + ec.message());
    open_secret(dir_file_, (fs::path(report_dir) / "keys.log").string());
  }
}

void KeyLogs::write(const std::string& line) {
  std::lock_guard lock(mu_);
  // Flushed per line: Wireshark may read the file while a relay still runs.
  if (file_.is_open()) file_ << line << "\n" << std::flush;
  if (dir_file_.is_open()) dir_file_ << line << "\n" << std::flush;
}

int exit_status(const std::vector<RunResult>& results, int signal) {
  if (std::any_of(results.begin(), results.end(), [](const RunResult& r) { return r.interrupted; }))
    return 128 + signal;
  if (std::any_of(results.begin(), results.end(), [](const RunResult& r) { return !r.error.empty(); })) return 3;
  return std::all_of(results.begin(), results.end(), all_passed) ? 0 : 1;
}

int interop_exit_status(const nlohmann::json& doc) {
  if (const auto& sig = reports::field(doc, "interrupted_by"); sig.is_number_integer()) return 128 + sig.get<int>();
  const auto summary = reports::interop_summary(doc);
  if (!summary["missing_stacks"].empty()) return 2;
  return summary["deviations"].get<std::size_t>() ? 1 : 0;
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

nlohmann::json load_baseline(const std::string& path) {
  if (path.empty()) return nullptr;
  auto doc = reports::load_document(path);
  if (!doc) throw UsageError("--baseline: " + doc.error().message);
  return *doc;
}

std::string baseline_summary(const nlohmann::json& baseline, const nlohmann::json& doc) {
  const auto t = reports::totals(doc);
  return reports::diff_text(reports::diff_documents(baseline, doc)) + std::to_string(t.runs) + " run(s), " +
         std::to_string(t.sessions) + " session(s), " + std::to_string(t.failed) + " expectation(s) failed\n";
}

}  // namespace sigtrust::cli
