// The event timeline of one run: what happened, when, seen by whom.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace sigtrust {

struct TimelineEvent {
  double t_ms = 0;  // since the run started
  std::string actor;  // "alice", "relay", "mallory", "engine"
  std::string kind;  // dotted: "signaling.sent", "ice.state", "dtls.connected", "alarm", ...
  std::string text;  // one human sentence
  nlohmann::json data;  // structured detail (e.g. SDP before/after), may be null
};

class Timeline {
 public:
  explicit Timeline(Clock::time_point start = Clock::now()) : start_(start) {}
  void add(std::string actor, std::string kind, std::string text, nlohmann::json data = nullptr);
  const std::vector<TimelineEvent>& events() const { return events_; }
  double now_ms() const;
  Clock::time_point start() const { return start_; }
  // Called with each event as it is added (e.g. the live relay's log).
  void set_listener(std::function<void(const TimelineEvent&)> listener) { listener_ = std::move(listener); }

 private:
  Clock::time_point start_;
  std::vector<TimelineEvent> events_;
  std::function<void(const TimelineEvent&)> listener_;
};

}  // namespace sigtrust
