// The loopback addresses of one run. Each run gets its own 127.a.b.0/24
// (Linux routes all of 127.0.0.0/8 to lo), and every socket takes an
// OS-chosen port, so two runs — or two CI jobs on one machine — never collide
// and nothing is ever bound outside loopback.
#pragma once

#include <string>

namespace sigtrust {

class NetPlan {
 public:
  NetPlan();  // a random /24 in 127.0.0.0/8, never 127.0.0.0/24
  explicit NetPlan(unsigned subnet);  // 127.(subnet>>8).(subnet&255).0/24, for tests
  std::string relay() const { return host(1); }
  // .10 to .199: past 190 peers (a `scale:` scenario) peers share addresses,
  // told apart by their ports; the relay's and the attacker's stay their own.
  std::string peer(unsigned index) const { return host(10 + index % 190); }
  std::string attacker() const { return host(200); }
  std::string host(unsigned last_octet) const;
  std::string prefix() const { return prefix_; }  // "127.a.b."

 private:
  std::string prefix_;
};

// True if `address` (dotted IPv4, optionally ":port") is in 127.0.0.0/8.
bool is_loopback(const std::string& address);

}  // namespace sigtrust
