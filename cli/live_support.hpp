// What `sigtrust relay` and `sigtrust proxy` share: small checks of their
// options and the wallet demo's files.
#pragma once

#include <optional>
#include <string>

namespace sigtrust::cli {

// The file's contents (at most 8 MiB); a UsageError naming `option` if it cannot be read.
std::string read_small_file(const std::string& path, const std::string& option);

// True for an IPv4 address in 127.0.0.0/8.
bool loopback_ipv4(const std::string& host);

// What is wrong with `url` as the proxy's upstream, if anything: it must be
// http:// or ws://, an IPv4 loopback address, a port, and no path.
std::optional<std::string> upstream_problem(const std::string& url);

}  // namespace sigtrust::cli
