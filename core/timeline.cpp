#include "core/timeline.hpp"

namespace sigtrust {

double Timeline::now_ms() const { return std::chrono::duration<double, std::milli>(Clock::now() - start_).count(); }

void Timeline::add(std::string actor, std::string kind, std::string text, nlohmann::json data) {
  events_.push_back({now_ms(), std::move(actor), std::move(kind), std::move(text), std::move(data)});
  if (listener_) listener_(events_.back());
}

}  // namespace sigtrust
