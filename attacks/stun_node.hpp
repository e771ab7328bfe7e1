// A STUN server that lies (the `stun-lie` attack's node). It answers every
// Binding request (RFC 8489) with an XOR-MAPPED-ADDRESS of its own: for each
// client transport address it opens a forwarding UDP socket on its loopback
// address and tells the client that socket is the client's server-reflexive
// address. What then arrives at a forwarding socket from anyone but its
// client goes to the client, from that socket (the last such sender is
// remembered); what the client sends to the forwarding socket goes to the
// remembered sender. The attacker sits on the path like a NAT it controls —
// and, because ICE (RFC 8445) and DTLS authenticate the peers, that buys it
// ciphertext and the power to drop or corrupt, nothing more.
//
// Untrusted input (docs/architecture.md, convention 5): anything malformed is dropped and counted.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "attacks/relay_tap.hpp"
#include "net/main_loop.hpp"
#include "core/timeline.hpp"

namespace sigtrust::attacks {

class LyingStunNode {
 public:
  // Listens on `address` (dotted IPv4, loopback), port chosen by the OS;
  // forwarding sockets are bound on the same address. Throws
  // UdpSocket::Failure if it cannot bind.
  LyingStunNode(MainLoop& loop, const std::string& address, Timeline& timeline, std::string actor = "mallory");
  ~LyingStunNode();
  LyingStunNode(const LyingStunNode&) = delete;
  LyingStunNode& operator=(const LyingStunNode&) = delete;

  std::uint16_t port() const;
  const std::string& address() const;

  // Not owned; null for none. Direction ToClient: a peer's datagram on its way
  // to the client; ToPeer: the client's on its way to the remembered peer.
  // `relayed` is the forwarding socket.
  void set_tap(RelayTap* tap);

  // The address this node told `client` ("ip:port") was its own, if it did.
  std::optional<std::string> fake_address_of(const std::string& client) const;

  // Payload bytes and datagrams forwarded in either direction (after the tap).
  std::uint64_t forwarded_bytes() const;
  std::uint64_t forwarded_datagrams() const;
  std::uint64_t lies() const;  // Binding responses carrying a fake address
  std::uint64_t malformed() const;  // input dropped as not a Binding request we answer
  std::uint64_t dropped() const;  // well-formed datagrams not forwarded (no peer yet, tap said no)
  size_t forwarders() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust::attacks
