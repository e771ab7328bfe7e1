// The timeline voice of a malicious STUN or TURN node, one for both: plain
// events, and the counted, throttled ones a hostile client can trigger at
// will (malformed input, refusals) — every occurrence counted, at most one
// timeline event of such a kind per second.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "attacks/udp_socket.hpp"
#include "core/timeline.hpp"

namespace sigtrust::attacks {

class NodeEvents {
 public:
  // `prefix` begins the kinds ("turn" -> "turn.malformed"); `refusal` says
  // what a dropped datagram's sender was not given ("refused to relay for").
  NodeEvents(Timeline& timeline, std::string actor, std::string prefix, std::string refusal)
      : timeline_(timeline), actor_(std::move(actor)), prefix_(std::move(prefix)), refusal_(std::move(refusal)) {}

  void event(const std::string& kind, std::string text, nlohmann::json data = nullptr) {
    timeline_.add(actor_, kind, std::move(text), std::move(data));
  }
  void throttled(const std::string& kind, std::string text, nlohmann::json data) {
    const auto now = Clock::now();
    auto [it, fresh] = last_.try_emplace(kind, now);
    if (!fresh && now - it->second < kInterval) return;
    it->second = now;
    event(kind, std::move(text), std::move(data));
  }
  void malformed(const Endpoint& from, const std::string& why) {
    ++malformed_;
    throttled(prefix_ + ".malformed", "dropped malformed input from " + from.to_string() + ": " + why,
              {{"from", from.to_string()}, {"reason", why}, {"malformed_total", malformed_}});
  }
  void dropped(const Endpoint& from, const std::string& why) {
    ++dropped_;
    throttled(prefix_ + ".dropped", refusal_ + " " + from.to_string() + ": " + why,
              {{"from", from.to_string()}, {"reason", why}, {"dropped_total", dropped_}});
  }
  std::uint64_t malformed_total() const { return malformed_; }
  std::uint64_t dropped_total() const { return dropped_; }

 private:
  static constexpr std::chrono::seconds kInterval{1};
  Timeline& timeline_;
  std::string actor_, prefix_, refusal_;
  std::map<std::string, Clock::time_point> last_;
  std::uint64_t malformed_ = 0, dropped_ = 0;
};

}  // namespace sigtrust::attacks
