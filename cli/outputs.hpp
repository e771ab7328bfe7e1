// What `run` and `relay` write besides the terminal: the DTLS key logs while
// running, and the result document with every report at the end.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "core/run_result.hpp"

namespace sigtrust::cli {

// --key-log FILE and, with --report-dir DIR, DIR/keys.log (DIR is created).
// Throws UsageError when a file cannot be written. Lines may come from
// several threads.
class KeyLogs {
 public:
  KeyLogs(const std::string& key_log_path, const std::string& report_dir);
  bool active() const { return file_.is_open() || dir_file_.is_open(); }
  void write(const std::string& line);

 private:
  std::mutex mu_;
  std::ofstream file_, dir_file_;
};

// Writes the result document to `json_path` and every report into
// `report_dir` (each only if set). False, with the reason on stderr, if a
// file could not be written (exit status 3).
bool write_outputs(const nlohmann::json& doc, const std::string& json_path, const std::string& report_dir);

// The exit status of `run`, `matrix` and `relay` from what they ran
// (docs/architecture.md): 128 + `signal` when a run was stopped from outside
// before it finished, 3 when the simulator itself failed in a run, 1 when an
// expectation failed, else 0. (A live session states no expectation.)
int exit_status(const std::vector<RunResult>& results, int signal);

// The exit status an interop result document stands for (docs/interop.md),
// as `sigtrust interop` returned it: 128 + the signal when it was
// interrupted, 2 when a stack was missing, 1 when a cell did not meet its
// expectation, else 0.
int interop_exit_status(const nlohmann::json& doc);

// --baseline FILE: the earlier result document, read before anything runs
// (UsageError, exit 2, when it cannot be read or is not a result document).
// Null when `path` is empty.
nlohmann::json load_baseline(const std::string& path);

// What CI shows with a baseline: only the sessions that changed, then the totals.
std::string baseline_summary(const nlohmann::json& baseline, const nlohmann::json& doc);

}  // namespace sigtrust::cli
