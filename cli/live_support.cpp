#include "cli/live_support.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "cli/command.hpp"

namespace sigtrust::cli {

std::string read_small_file(const std::string& path, const std::string& option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(option + ": cannot read '" + path + "'");
  std::ostringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  if (text.size() > 8u << 20) throw UsageError(option + ": '" + path + "' is over 8 MiB");
  return text;
}

bool loopback_ipv4(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace sigtrust::cli
