#include "net/soup_listen.hpp"

#include <map>

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

std::map<std::string, std::string> query_params(GUri* uri) {
  std::map<std::string, std::string> out;
  const char* query = uri ? g_uri_get_query(uri) : nullptr;
  if (!query) return out;
  GHashTable* params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr);
  if (!params) return out;
  GHashTableIter it;
  gpointer k = nullptr, v = nullptr;
  g_hash_table_iter_init(&it, params);
  while (g_hash_table_iter_next(&it, &k, &v)) out[static_cast<const char*>(k)] = static_cast<const char*>(v);
  g_hash_table_unref(params);
  return out;
}

}  // namespace sigtrust
