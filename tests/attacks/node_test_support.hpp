// What the tests of the malicious STUN and TURN nodes share: a recording
// relay tap and a real libnice agent with what it reported.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attacks/relay_tap.hpp"
#include "net/ice_agent.hpp"
#include "net/main_loop.hpp"

namespace sigtrust::attacks::node_test {

inline Clock::time_point deadline() { return Clock::now() + std::chrono::seconds(5); }

inline std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }
inline std::string text(std::span<const std::uint8_t> d) { return {d.begin(), d.end()}; }

inline bool starts_with(const std::vector<std::uint8_t>& d, std::string_view prefix) {
  return d.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), d.begin());
}

// Records every relayed datagram; a policy may rewrite or drop.
class RecordingTap : public RelayTap {
 public:
  std::vector<RelayedDatagram> seen;
  std::function<bool(RelayedDatagram&)> policy;

  bool on_datagram(RelayedDatagram& d) override {
    seen.push_back(d);
    return policy ? policy(d) : true;
  }
  bool saw(std::string_view payload) const {
    return std::any_of(seen.begin(), seen.end(), [&](const RelayedDatagram& d) { return text(d.data) == payload; });
  }
  bool saw(std::string_view payload, RelayDirection dir) const {
    return std::any_of(seen.begin(), seen.end(),
                       [&](const RelayedDatagram& d) { return d.direction == dir && text(d.data) == payload; });
  }
};

// One libnice agent and what it reported.
struct Peer {
  std::optional<LocalIce> local;
  std::optional<SelectedPair> pair;
  bool failed = false;
  std::vector<std::string> received;
  std::unique_ptr<IceAgent> agent;

  Peer(MainLoop& loop, IceOptions options) {
    agent = std::make_unique<IceAgent>(
        loop, std::move(options),
        IceCallbacks{.on_gathered = [this](const LocalIce& l) { local = l; },
                     .on_state = [this](IceState s) { failed = failed || s == IceState::Failed; },
                     .on_ready = [this](const SelectedPair& p) { pair = p; },
                     .on_datagram = [this](std::span<const std::uint8_t> d) { received.push_back(text(d)); },
                     .on_first_check = {}});
  }
  std::optional<sdp::Candidate> candidate(std::string_view type) const {
    if (!local) return std::nullopt;
    const auto it = std::find_if(local->candidates.begin(), local->candidates.end(),
                                 [&](const sdp::Candidate& c) { return c.type == type; });
    return it == local->candidates.end() ? std::nullopt : std::optional(*it);
  }
  size_t candidates_of_type(std::string_view type) const {
    return local ? static_cast<size_t>(std::count_if(local->candidates.begin(), local->candidates.end(),
                                                     [&](const sdp::Candidate& c) { return c.type == type; }))
                 : 0;
  }
  bool got(std::string_view payload) const {
    return std::find(received.begin(), received.end(), payload) != received.end();
  }
};

}  // namespace sigtrust::attacks::node_test
