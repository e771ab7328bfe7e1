// The dominant frequency of a stretch of 16-bit PCM, for tests that check
// what was heard (a virtual peer's tone, through the attacker or not).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace sigtrust::testing {

// The frequency (whole Hz, `lo`..`hi`) whose Goertzel power is largest over `samples` (mono, `rate` Hz).
inline int dominant_hz(const std::vector<std::int16_t>& samples, int rate, int lo = 50, int hi = 4000) {
  int best = lo;
  double best_power = -1;
  for (int hz = lo; hz <= hi; ++hz) {
    const double coeff = 2 * std::cos(2 * std::numbers::pi * hz / rate);
    double s1 = 0, s2 = 0;
    for (const auto x : samples) {
      const double s0 = x + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (power > best_power) {
      best_power = power;
      best = hz;
    }
  }
  return best;
}

}  // namespace sigtrust::testing
