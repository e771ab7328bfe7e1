#include "reports/progress_bar.hpp"

#include <cstdio>

#include "reports/escape.hpp"

namespace sigtrust::reports {

namespace {
constexpr auto kDelay = std::chrono::seconds(1);
}

ProgressBar::ProgressBar(std::size_t total, bool enabled)
    : total_(total), enabled_(enabled && total > 1), started_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

std::string ProgressBar::line(std::size_t done, std::size_t total, const std::string& current, std::size_t width) {
  if (done > total) done = total;
  const std::size_t filled = total == 0 ? width : done * width / total;
  std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " + std::to_string(done) +
                    "/" + std::to_string(total);
  if (!current.empty()) bar += " " + truncate_utf8(terminal_escape(current), 40);
  return bar;
}

void ProgressBar::update(std::size_t done, const std::string& current) {
  if (!enabled_ || std::chrono::steady_clock::now() - started_ < kDelay) return;
  std::fprintf(stderr, "\r\033[K%s", line(done, total_, current).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace sigtrust::reports
