// A progress bar on stderr for work that takes more than about a second:
// drawn only when stderr is a terminal, and only once a second has passed, so
// short runs and logs stay clean.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace sigtrust::reports {

class ProgressBar {
 public:
  // `enabled` is usually isatty(STDERR_FILENO); the bar never draws otherwise.
  ProgressBar(std::size_t total, bool enabled);
  ~ProgressBar();  // clears the line if anything was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` items finished, `current` names the one now running.
  void update(std::size_t done, const std::string& current);

  // The bar's text for `done` of `total` ("[#####.....] 5/10 name"); pure.
  static std::string line(std::size_t done, std::size_t total, const std::string& current, std::size_t width = 30);

 private:
  std::size_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace sigtrust::reports
