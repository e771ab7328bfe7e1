// `sigtrust relay`: the signaling relay serving external WebSocket clients
// (real browsers, other WebRTC apps) on a loopback address, honest or with a
// signaling-position attack, until SIGINT/SIGTERM or --duration; then the
// result document (one session per room) and reports.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace sigtrust::cli {

int relay_command(const std::vector<std::string>& args, const std::atomic<bool>* stop);

// `sigtrust proxy`: the same attacker in front of an existing signaling
// server (--upstream, loopback only), PeerJS's or any JSON-over-WebSocket one.
int proxy_command(const std::vector<std::string>& args, const std::atomic<bool>* stop);

}  // namespace sigtrust::cli
