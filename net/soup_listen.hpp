// Puts a SoupServer on a listening socket of our own at address:port (port 0:
// OS-chosen) and returns the port. GLib's default backlog of 10 makes the
// eleventh simultaneous client wait for a SYN retransmission (a whole second)
// when many sessions start at once; ours is 1024. Throws SignalingRelay::Failure.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <string>

namespace sigtrust {

std::uint16_t listen_loopback(SoupServer* server, const std::string& address, std::uint16_t port);

}  // namespace sigtrust
