// Entries from C. A C library (GLib sources, libsoup signals and async
// completions, libnice, GnuTLS's transport functions, libpcap) calls our
// callbacks through its own frames; a C++ exception unwinding through them is
// undefined behaviour and leaves the library's state half-updated. So every
// callback we hand to C runs its body through c_entry(), which stops any
// exception there and reports it: to the report given, else to this thread's
// reporter (CEntryReporter: the engine installs one per run that writes the
// exception into the run's timeline as `run.error`), else to stderr. The
// callback then returns its `fallback` (e.g. -1 from a GnuTLS push function).
// Pure: no C library here, so every layer may use it.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace sigtrust {

// Told where (which callback) an exception was stopped and what it said.
using CEntryReport = std::function<void(const std::string& where, const std::string& what)>;

// For its lifetime, the exceptions stopped at C entries on this thread go to
// `report` (one run is driven from one thread). Nests: the previous reporter
// is back when this one goes.
class CEntryReporter {
 public:
  explicit CEntryReporter(CEntryReport report);
  ~CEntryReporter();
  CEntryReporter(const CEntryReporter&) = delete;
  CEntryReporter& operator=(const CEntryReporter&) = delete;

 private:
  CEntryReport previous_;
};

namespace detail {
// Never throws: a reporter that throws is reported to stderr instead.
void stopped_at_c_entry(std::string_view where, const CEntryReport* report, const char* what) noexcept;
}  // namespace detail

// Runs `body` for a callback entered from C; an exception ends here.
template <typename F>
void c_entry(std::string_view where, F&& body, const CEntryReport* report = nullptr) noexcept {
  try {
    std::forward<F>(body)();
  } catch (const std::exception& e) {
    detail::stopped_at_c_entry(where, report, e.what());
  } catch (...) {
    detail::stopped_at_c_entry(where, report, "an exception that is not a std::exception");
  }
}

// The same for a callback that returns a value to C: `fallback` after an exception.
template <typename R, typename F>
R c_entry_or(std::string_view where, R fallback, F&& body, const CEntryReport* report = nullptr) noexcept {
  try {
    return std::forward<F>(body)();
  } catch (const std::exception& e) {
    detail::stopped_at_c_entry(where, report, e.what());
  } catch (...) {
    detail::stopped_at_c_entry(where, report, "an exception that is not a std::exception");
  }
  return fallback;
}

}  // namespace sigtrust
