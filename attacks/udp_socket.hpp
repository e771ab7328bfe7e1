// A UDP socket bound on a loopback address with an OS-chosen port, read on a
// run's main loop (GSocket + g_socket_create_source, both owned here), and
// the IPv4 transport address the STUN/TURN nodes key their state by. No GLib
// type crosses this header.
#pragma once

#include <sys/socket.h>

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "net/main_loop.hpp"

namespace sigtrust::attacks {

// An IPv4 transport address (address and port).
struct Endpoint {
  std::array<std::uint8_t, 4> ip{};  // network order: 127.0.0.1 is {127, 0, 0, 1}
  std::uint16_t port = 0;

  auto operator<=>(const Endpoint&) const = default;
  std::string ip_string() const;  // "127.0.0.1"
  std::string to_string() const;  // "127.0.0.1:3478"
  // "a.b.c.d:port"; nullopt for anything else.
  static std::optional<Endpoint> parse(std::string_view ip_port);
  static std::optional<Endpoint> from_ip(std::string_view ip, std::uint16_t port);
  // IPv4 only: nullopt for another family.
  static std::optional<Endpoint> from_sockaddr(const sockaddr_storage& sa);
  sockaddr_storage to_sockaddr() const;
};

class UdpSocket {
 public:
  // Called once per datagram, on the loop's thread. The receiver may destroy
  // the socket it was called from.
  using Receiver = std::function<void(const Endpoint& from, std::span<const std::uint8_t> datagram)>;

  struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  // Binds on `address` (dotted IPv4), port 0. Throws Failure if it cannot
  // (a simulator failure, not an attack outcome).
  UdpSocket(MainLoop& loop, const std::string& address, Receiver receiver);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  const Endpoint& local() const;
  bool send_to(const Endpoint& to, std::span<const std::uint8_t> datagram);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust::attacks
