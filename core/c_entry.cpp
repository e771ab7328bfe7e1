#include "core/c_entry.hpp"

#include <cstdio>

namespace sigtrust {
namespace {

thread_local CEntryReport t_reporter;

void to_stderr(std::string_view where, const char* what) noexcept {
  std::fprintf(stderr, "sigtrust: exception stopped at a C callback (%.*s): %s\n", static_cast<int>(where.size()),
               where.data(), what);
}

}  // namespace

CEntryReporter::CEntryReporter(CEntryReport report) : previous_(std::exchange(t_reporter, std::move(report))) {}

CEntryReporter::~CEntryReporter() { t_reporter = std::move(previous_); }

namespace detail {

void stopped_at_c_entry(std::string_view where, const CEntryReport* report, const char* what) noexcept {
  const CEntryReport& to = report && *report ? *report : t_reporter;
  if (!to) return to_stderr(where, what);
  try {
    to(std::string(where), what);
  } catch (...) {
    to_stderr(where, what);
  }
}

}  // namespace detail
}  // namespace sigtrust
