#include "net/soup_listen.hpp"

#include <map>

#include "net/glib_handles.hpp"
#include "net/signaling_relay.hpp"

namespace sigtrust {

std::uint16_t listen_loopback(SoupServer* server, const std::string& address, std::uint16_t port) {
  ObjectPtr<GInetAddress> inet(g_inet_address_new_from_string(address.c_str()));
  if (!inet) throw SignalingRelay::Failure("bad listen address " + address);
  ObjectPtr<GSocketAddress> sa(g_inet_socket_address_new(inet.get(), port));
  GlibError err;
  ObjectPtr<GSocket> sock(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, err.out()));
  bool ok = sock != nullptr;
  if (ok) {
    g_socket_set_listen_backlog(sock.get(), 1024);
    ok = g_socket_bind(sock.get(), sa.get(), TRUE, err.out()) && g_socket_listen(sock.get(), err.out()) &&
         soup_server_listen_socket(server, sock.get(), SoupServerListenOptions(0), err.out());
  }
  if (!ok) throw SignalingRelay::Failure(err.describe("cannot listen on " + address));
  std::uint16_t bound = 0;
  if (ObjectPtr<GSocketAddress> local{g_socket_get_local_address(sock.get(), nullptr)})
    bound = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local.get()));
  if (bound == 0) throw SignalingRelay::Failure("no listening port on " + address);
  return bound;
}

std::map<std::string, std::string> query_params(GUri* uri) {
  std::map<std::string, std::string> out;
  const char* query = uri ? g_uri_get_query(uri) : nullptr;
  if (!query) return out;
  HashTablePtr params(g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr));
  if (!params) return out;
  GHashTableIter it;
  gpointer k = nullptr, v = nullptr;
  g_hash_table_iter_init(&it, params.get());
  while (g_hash_table_iter_next(&it, &k, &v)) out[static_cast<const char*>(k)] = static_cast<const char*>(v);
  return out;
}

}  // namespace sigtrust
