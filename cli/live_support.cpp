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

std::optional<std::string> upstream_problem(const std::string& url) {
  std::string rest;
  for (const char* scheme : {"http://", "ws://"})
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  if (rest.empty()) return "an http:// or ws:// URL, not '" + url + "'";
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos)
    return "SCHEME://127.x.y.z:PORT without a path (requests keep theirs), not '" + url + "'";
  const auto colon = rest.rfind(':');
  const std::string host = rest.substr(0, colon);
  if (!loopback_ipv4(host))
    return "the proxy talks to loopback only (an IPv4 address in 127.0.0.0/8), not '" + host + "'";
  const std::string port = colon == std::string::npos ? "" : rest.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) < 1 || std::stoi(port) > 65535)
    return "SCHEME://127.x.y.z:PORT with a port (1-65535), not '" + url + "'";
  return std::nullopt;
}

}  // namespace sigtrust::cli
