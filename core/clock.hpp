// The one clock of a run: monotonic, so timelines and deadlines do not jump
// with the wall clock.
#pragma once

#include <chrono>

namespace sigtrust {

using Clock = std::chrono::steady_clock;

}  // namespace sigtrust
