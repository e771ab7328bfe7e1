// What a fuzz target does when a property it checks does not hold: say which, show the value
// that broke it, and abort so libFuzzer saves the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sigtrust::fuzz {

[[noreturn]] inline void violated(const char* property, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void check(bool ok, const char* property, std::string_view detail = {}) {
  if (!ok) violated(property, detail);
}

}  // namespace sigtrust::fuzz
