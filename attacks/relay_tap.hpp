// The hook a malicious STUN or TURN node offers an attack: every datagram it
// relays between a client and a peer passes through the tap first, which may
// read it, rewrite it, or drop it (docs/architecture.md, convention 8: attacks hook only what they need).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sigtrust::attacks {

enum class RelayDirection {
  ToPeer,  // from the node's client, out towards a peer
  ToClient,  // from a peer, in towards the node's client
};

inline std::string_view to_string(RelayDirection d) { return d == RelayDirection::ToPeer ? "to-peer" : "to-client"; }

// Addresses are "ip:port". `relayed` is the node's socket the datagram passes
// through: a TURN allocation's relayed address, or a lying STUN node's
// forwarding socket (the address it told the client was the client's own).
struct RelayedDatagram {
  RelayDirection direction = RelayDirection::ToPeer;
  std::string client;
  std::string relayed;
  std::string peer;
  std::vector<std::uint8_t> data;
};

class RelayTap {
 public:
  virtual ~RelayTap() = default;
  // May modify d.data; returning false drops the datagram.
  virtual bool on_datagram(RelayedDatagram& d) = 0;
};

}  // namespace sigtrust::attacks
