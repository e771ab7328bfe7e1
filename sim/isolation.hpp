// A private network for a whole sigtrust invocation: a new user + network
// namespace (unshare(2), no root needed where the kernel allows it) holding
// only `lo`, brought up here. Nothing a run does can then reach another
// interface, runs cannot collide with other processes' ports, and libpcap may
// capture `lo` without privileges. Must be called while the process has one
// thread (before GLib starts any).
#pragma once

#include <string>

namespace sigtrust {

struct IsolationResult {
  bool isolated = false;
  std::string why_not;  // set when isolation was unavailable
};

IsolationResult enter_private_network();

// Names of the network interfaces this process can see (for tests and `sigtrust doctor`).
std::string visible_interfaces();

}  // namespace sigtrust
