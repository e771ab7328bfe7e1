// A TURN server of the project's own (RFC 8656, UDP only, IPv4 only) on a
// loopback address, built on libnice's STUN message library. It is what a
// malicious TURN operator runs: it relays faithfully, but every relayed
// datagram passes through a RelayTap first, and it can inject datagrams of its
// own on any allocation. Honest behaviour (a RelayTap that returns true and
// changes nothing) is indistinguishable from a correct TURN server to the
// peers, which is the point: DTLS, not the relay, must protect them.
//
// Supported: Allocate with long-term credentials (RFC 8489 §9.2), Refresh,
// CreatePermission, ChannelBind, Send and Data indications, ChannelData, and
// Binding requests on the TURN port. Not supported: TCP/TLS/DTLS transports,
// IPv6, EVEN-PORT/RESERVATION-TOKEN (answered 420), dual allocations.
//
// Untrusted input (docs/architecture.md, convention 5): anything malformed is dropped and counted, or
// answered with the error code RFC 8656 names; it is never an assert.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "attacks/relay_tap.hpp"
#include "net/main_loop.hpp"
#include "core/timeline.hpp"

namespace sigtrust::attacks {

struct TurnCredentials {
  std::string username, password;
  std::string realm = "sigtrust";
};

class TurnNode {
 public:
  // Listens on `address` (dotted IPv4, loopback), port chosen by the OS;
  // relayed sockets are bound on the same address. Throws UdpSocket::Failure
  // if it cannot bind.
  TurnNode(MainLoop& loop, const std::string& address, TurnCredentials creds, Timeline& timeline,
           std::string actor = "mallory");
  ~TurnNode();
  TurnNode(const TurnNode&) = delete;
  TurnNode& operator=(const TurnNode&) = delete;

  std::uint16_t port() const;
  const std::string& address() const;
  const TurnCredentials& credentials() const;

  // Not owned; null for none. Sees every datagram relayed in either direction.
  void set_tap(RelayTap* tap);

  // Injection for a man in the middle, bypassing the tap and the permission
  // checks: as if the allocation at `relayed` had received `data` from `peer`
  // (delivered to its client, over the bound channel if there is one, else in
  // a Data indication), or as if its client had sent `data` to `peer` (sent
  // out of the allocation's socket). Addresses are "ip:port". False if there
  // is no such allocation or the datagram could not be sent.
  bool send_to_client(const std::string& relayed, const std::string& peer, std::span<const std::uint8_t> data);
  bool send_to_peer(const std::string& relayed, const std::string& peer, std::span<const std::uint8_t> data);

  // Payload bytes relayed in either direction (after the tap; injected bytes not counted).
  std::uint64_t relayed_bytes() const;
  std::uint64_t relayed_datagrams() const;
  // Datagrams that were not STUN/ChannelData, failed STUN framing, or lacked a required attribute.
  std::uint64_t malformed() const;
  // Well-formed input that was refused: no allocation, no permission, unbound channel, or the tap said no.
  std::uint64_t dropped() const;
  // 401 responses sent (the first challenge of every client, and every failed authentication).
  std::uint64_t unauthorized() const;
  size_t allocations() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust::attacks
