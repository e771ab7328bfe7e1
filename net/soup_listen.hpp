// What the signaling servers (relay, PeerJS server, proxy) share on top of libsoup.
//
// listen_loopback puts a SoupServer on a listening socket of our own at address:port (port 0:
// OS-chosen) and returns the port. GLib's default backlog of 10 makes the
// eleventh simultaneous client wait for a SYN retransmission (a whole second)
// when many sessions start at once; ours is 1024. Throws SignalingRelay::Failure.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <map>
#include <string>

namespace sigtrust {

std::uint16_t listen_loopback(SoupServer* server, const std::string& address, std::uint16_t port);

// The parameters of a request URI's query, decoded ({} without a query).
std::map<std::string, std::string> query_params(GUri* uri);

}  // namespace sigtrust
