#include "sim/net_plan.hpp"

#include <arpa/inet.h>

#include <random>

namespace sigtrust {

NetPlan::NetPlan() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> dist(256, 65535);  // skips 127.0.x.0/24, where 127.0.0.1 lives
  *this = NetPlan(dist(rd));
}

NetPlan::NetPlan(unsigned subnet)
    : prefix_("127." + std::to_string((subnet >> 8) & 255) + "." + std::to_string(subnet & 255) + ".") {}

std::string NetPlan::host(unsigned last_octet) const { return prefix_ + std::to_string(last_octet & 255); }

bool is_loopback(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':') == std::string::npos ? address.size() : address.rfind(':'));
  in_addr a{};
  if (inet_pton(AF_INET, host.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace sigtrust
