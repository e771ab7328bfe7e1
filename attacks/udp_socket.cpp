#include "attacks/udp_socket.hpp"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "core/c_entry.hpp"
#include "net/glib_handles.hpp"

namespace sigtrust::attacks {

std::string Endpoint::ip_string() const {
  return std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." + std::to_string(ip[2]) + "." +
         std::to_string(ip[3]);
}

std::string Endpoint::to_string() const { return ip_string() + ":" + std::to_string(port); }

std::optional<Endpoint> Endpoint::from_ip(std::string_view ip_text, std::uint16_t port) {
  const std::string text(ip_text);
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  Endpoint e;
  std::memcpy(e.ip.data(), &a.s_addr, 4);
  e.port = port;
  return e;
}

std::optional<Endpoint> Endpoint::parse(std::string_view ip_port) {
  const auto colon = ip_port.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view port_text = ip_port.substr(colon + 1);
  std::uint16_t port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty()) return std::nullopt;
  return from_ip(ip_port.substr(0, colon), port);
}

std::optional<Endpoint> Endpoint::from_sockaddr(const sockaddr_storage& sa) {
  if (sa.ss_family != AF_INET) return std::nullopt;
  sockaddr_in in{};
  std::memcpy(&in, &sa, sizeof in);
  Endpoint e;
  std::memcpy(e.ip.data(), &in.sin_addr.s_addr, 4);
  e.port = ntohs(in.sin_port);
  return e;
}

sockaddr_storage Endpoint::to_sockaddr() const {
  sockaddr_storage sa{};
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  std::memcpy(&in.sin_addr.s_addr, ip.data(), 4);
  std::memcpy(&sa, &in, sizeof in);
  return sa;
}

struct UdpSocket::Impl {
  ObjectPtr<GSocket> socket;
  SourcePtr source;
  Endpoint local;
  // Shared so that a dispatch in progress keeps them alive if the receiver
  // destroys the socket.
  std::shared_ptr<Receiver> receiver;
  std::shared_ptr<std::vector<std::uint8_t>> buffer = std::make_shared<std::vector<std::uint8_t>>(65536);
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  static gboolean on_readable(GSocket*, GIOCondition, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    const auto alive = self->alive;
    const auto receiver = self->receiver;
    const auto buffer = self->buffer;
    GSocket* sock = self->socket.get();
    // Drain a bounded batch per wake-up, so one flooded socket cannot starve the loop.
    for (int i = 0; i < 64; ++i) {
      GSocketAddress* from_raw = nullptr;
      GlibError error;
      const gssize n = g_socket_receive_from(sock, &from_raw, reinterpret_cast<gchar*>(buffer->data()), buffer->size(),
                                             nullptr, error.out());
      const ObjectPtr<GSocketAddress> from(from_raw);
      if (n < 0) break;  // would block (or a transient error): wait for the next wake-up
      sockaddr_storage sa{};
      if (!from || !g_socket_address_to_native(from.get(), &sa, sizeof sa, nullptr)) continue;
      const auto endpoint = Endpoint::from_sockaddr(sa);
      if (!endpoint) continue;
      // An entry from GLib (core/c_entry.hpp): the receiver's exception stops here.
      c_entry("a UDP socket's receiver",
              [&] { (*receiver)(*endpoint, std::span<const std::uint8_t>(buffer->data(), static_cast<size_t>(n))); });
      if (!*alive) return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
  }
};

UdpSocket::UdpSocket(MainLoop& loop, const std::string& address, Receiver receiver) : impl_(std::make_unique<Impl>()) {
  impl_->receiver = std::make_shared<Receiver>(std::move(receiver));
  GlibError error;
  impl_->socket.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error.out()));
  if (!impl_->socket) throw Failure(error.describe("cannot create a UDP socket"));
  g_socket_set_blocking(impl_->socket.get(), FALSE);

  ObjectPtr<GInetAddress> inet(g_inet_address_new_from_string(address.c_str()));
  if (!inet || g_inet_address_get_family(inet.get()) != G_SOCKET_FAMILY_IPV4)
    throw Failure("not an IPv4 address: " + address);
  ObjectPtr<GSocketAddress> bind_to(g_inet_socket_address_new(inet.get(), 0));
  if (!g_socket_bind(impl_->socket.get(), bind_to.get(), FALSE, error.out()))
    throw Failure(error.describe("cannot bind UDP on " + address));
  ObjectPtr<GSocketAddress> bound(g_socket_get_local_address(impl_->socket.get(), error.out()));
  sockaddr_storage sa{};
  std::optional<Endpoint> local;
  if (bound && g_socket_address_to_native(bound.get(), &sa, sizeof sa, nullptr)) local = Endpoint::from_sockaddr(sa);
  if (!local) throw Failure("cannot read the bound address on " + address);
  impl_->local = *local;

  impl_->source.reset(g_socket_create_source(impl_->socket.get(), G_IO_IN, nullptr));
  g_source_set_callback(impl_->source.get(),
                        reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(&Impl::on_readable)), impl_.get(),
                        nullptr);
  g_source_attach(impl_->source.get(), loop.context());
}

UdpSocket::~UdpSocket() {
  *impl_->alive = false;
  if (impl_->source) g_source_destroy(impl_->source.get());
  impl_->source.reset();
  // Release the port now rather than when the last reference goes.
  if (impl_->socket) g_socket_close(impl_->socket.get(), nullptr);
}

const Endpoint& UdpSocket::local() const { return impl_->local; }

bool UdpSocket::send_to(const Endpoint& to, std::span<const std::uint8_t> datagram) {
  const sockaddr_storage sa = to.to_sockaddr();
  ObjectPtr<GSocketAddress> address(
      g_socket_address_new_from_native(const_cast<sockaddr_storage*>(&sa), sizeof(sockaddr_in)));
  if (!address) return false;
  GlibError error;
  const gssize n = g_socket_send_to(impl_->socket.get(), address.get(), reinterpret_cast<const gchar*>(datagram.data()),
                                    datagram.size(), nullptr, error.out());
  return n >= 0;
}

}  // namespace sigtrust::attacks
