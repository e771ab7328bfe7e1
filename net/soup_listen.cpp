#include "net/soup_listen.hpp"

#include "net/glib_handles.hpp"
#include "net/signaling_relay.hpp"

namespace sigtrust {

std::uint16_t listen_loopback(SoupServer* server, const std::string& address, std::uint16_t port) {
  GInetAddress* inet = g_inet_address_new_from_string(address.c_str());
  if (!inet) throw SignalingRelay::Failure("bad listen address " + address);
  GSocketAddress* sa = g_inet_socket_address_new(inet, port);
  g_object_unref(inet);
  GError* err = nullptr;
  ObjectPtr<GSocket> sock(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &err));
  bool ok = sock != nullptr;
  if (ok) {
    g_socket_set_listen_backlog(sock.get(), 1024);
    ok = g_socket_bind(sock.get(), sa, TRUE, &err) && g_socket_listen(sock.get(), &err) &&
         soup_server_listen_socket(server, sock.get(), SoupServerListenOptions(0), &err);
  }
  g_object_unref(sa);
  if (!ok) {
    std::string why = err ? err->message : "unknown error";
    if (err) g_error_free(err);
    throw SignalingRelay::Failure("cannot listen on " + address + ": " + why);
  }
  std::uint16_t bound = 0;
  if (GSocketAddress* local = g_socket_get_local_address(sock.get(), nullptr)) {
    bound = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_object_unref(local);
  }
  if (bound == 0) throw SignalingRelay::Failure("no listening port on " + address);
  return bound;
}

}  // namespace sigtrust
