// What `sigtrust relay` and `sigtrust proxy` share: small checks of their
// options and the wallet demo's files.
#pragma once

#include <string>

namespace sigtrust::cli {

// The file's contents (at most 8 MiB); a UsageError naming `option` if it cannot be read.
std::string read_small_file(const std::string& path, const std::string& option);

// True for an IPv4 address in 127.0.0.0/8.
bool loopback_ipv4(const std::string& host);

}  // namespace sigtrust::cli
