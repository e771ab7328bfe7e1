#include "core/run_result.hpp"

namespace sigtrust {

bool all_passed(const RunResult& r) {
  if (!r.error.empty() || r.interrupted) return false;
  for (const auto& s : r.sessions)
    if (!s.pass) return false;
  return true;
}

}  // namespace sigtrust
