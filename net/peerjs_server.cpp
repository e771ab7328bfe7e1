#include "net/peerjs_server.hpp"

#include <libsoup/soup.h>

#include <deque>
#include <map>
#include <vector>

#include "core/c_entry.hpp"
#include "core/signaling_adapter.hpp"
#include "core/timeline_events.hpp"
#include "net/glib_handles.hpp"
#include "net/soup_listen.hpp"

namespace sigtrust {
namespace {

std::string cut(const std::string& s, size_t n = 64) { return s.size() <= n ? s : s.substr(0, n) + "…"; }

// PeerServer's texts, word for word: PeerJS shows them to the application.
constexpr const char* kInvalidKey = "Invalid key provided";
constexpr const char* kMissingParameters = "No id, token, or key supplied to websocket server";

}  // namespace

struct PeerJsServer::Impl {
  struct Client {
    std::string id, token;
    ObjectPtr<SoupWebsocketConnection> conn;
    gulong message_handler = 0, closed_handler = 0;
    Clock::time_point last_seen = Clock::now();
    Clock::time_point window_start = Clock::now();
    unsigned window_count = 0;
  };
  struct Queued {
    PeerJsMessage message;
    Clock::time_point at;
  };
  struct Session {
    std::string peer[2];  // 0: the offerer
  };
  struct Binding {
    Impl* impl;
    std::string id;
  };

  Timeline* timeline = nullptr;
  PeerJsLimits limits;
  SignalingInterceptor* interceptor = nullptr;
  ObjectPtr<SoupServer> server;
  std::string address;
  std::uint16_t port = 0;
  std::uint64_t relayed = 0;
  std::map<std::string, Client> clients;
  std::map<std::string, std::deque<Queued>> queued;  // by destination id
  std::map<std::string, Session> sessions;  // by connectionId
  std::map<std::string, std::pair<std::string, std::string>> pages;  // path -> content type, body
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  MainLoop* loop = nullptr;
  Timer sweep;

  void event(const std::string& kind, const std::string& text) { timeline->add("relay", kind, text); }

  // Entries from libsoup (core/c_entry.hpp): a failure of ours becomes a relay.error event.
  template <typename F>
  void guarded(const std::string& what, F&& step) {
    const CEntryReport to_timeline = [this](const std::string& where, const std::string& e) {
      event(events::kRelayError, where + ": " + e);
    };
    c_entry(what, std::forward<F>(step), &to_timeline);
  }

  // ---- HTTP ----------------------------------------------------------------

  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->guarded("an HTTP request", [&] {
      SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
      if (soup_message_headers_header_contains(request, "Upgrade", "websocket")) return;  // on_websocket's
      self->http(msg, path ? path : "/");
    });
  }

  // Called once the request headers are in, before libsoup reads the body: a
  // body longer than a signaling message may be (or of unstated length) is
  // refused here, so it is never read. libsoup 3 would still read a body
  // whose request already has a status, so the connection is taken from it,
  // answered 413 and closed.
  static void on_headers(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
    const bool chunked = soup_message_headers_get_encoding(request) == SOUP_ENCODING_CHUNKED;
    const goffset length = soup_message_headers_get_content_length(request);
    if (!chunked && length <= static_cast<goffset>(self->limits.max_message_bytes)) return;
    self->guarded("an HTTP request", [&] {
      self->event("signaling.malformed",
                  std::string("an HTTP ") + soup_server_message_get_method(msg) + " with a body of " +
                      (chunked ? std::string("unstated length") : std::to_string(length) + " bytes") + " (more than " +
                      std::to_string(self->limits.max_message_bytes) + "); refused before reading it");
      static constexpr char kTooLarge[] =
          "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      GIOStream* stream = soup_server_message_steal_connection(msg);
      if (!stream) return;
      g_output_stream_write_all(g_io_stream_get_output_stream(stream), kTooLarge, sizeof kTooLarge - 1, nullptr,
                                nullptr, nullptr);
      g_io_stream_close(stream, nullptr, nullptr);
      g_object_unref(stream);
    });
  }

  void respond(SoupServerMessage* msg, guint status, const std::string& type = {}, const std::string& body = {}) {
    SoupMessageHeaders* h = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(h, "Cache-Control", "no-store");
    // PeerServer answers any origin (the application's page may be served from elsewhere).
    soup_message_headers_replace(h, "Access-Control-Allow-Origin", "*");
    if (!type.empty()) soup_server_message_set_response(msg, type.c_str(), SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, status, nullptr);
  }

  void http(SoupServerMessage* msg, const std::string& path) {
    const std::string method = soup_server_message_get_method(msg);
    if (method == "POST" && path == "/sigtrust/report") return report(msg);
    if (method == "OPTIONS") return respond(msg, SOUP_STATUS_NO_CONTENT);
    if (method != "GET" && method != "HEAD") return respond(msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
    if (auto p = pages.find(path); p != pages.end())
      return respond(msg, SOUP_STATUS_OK, p->second.first, p->second.second);
    if (path == "/favicon.ico") return respond(msg, SOUP_STATUS_NO_CONTENT);
    const std::string prefix = limits.path + limits.key + "/";
    // GET <path><other key>/id: PeerServer's answer to a wrong key.
    if (path.rfind(limits.path, 0) == 0 && path.rfind(prefix, 0) != 0 && path.ends_with("/id")) {
      event("signaling.rejected", "HTTP " + cut(path) + ": invalid key");
      return respond(msg, SOUP_STATUS_UNAUTHORIZED, "text/plain", kInvalidKey);
    }
    if (path == prefix + "id") {
      const CharPtr uuid(g_uuid_string_random());
      return respond(msg, SOUP_STATUS_OK, "text/html", uuid.get());
    }
    // PeerServer lists peers only with allow_discovery, which this one never offers.
    if (path == prefix + "peers") return respond(msg, SOUP_STATUS_UNAUTHORIZED, "text/plain", "discovery is off");
    respond(msg, SOUP_STATUS_NOT_FOUND);
  }

  // A page's account of its own session: {"id","connectionId","report":{…}}.
  void report(SoupServerMessage* msg) {
    SoupMessageBody* body = soup_server_message_get_request_body(msg);
    const BytesPtr bytes(soup_message_body_flatten(body));
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(bytes.get(), &size));
    const std::string text(data ? data : "", size);
    auto j = parse_bounded_json(text);
    const std::string id = j ? j->value("id", "") : "", cid = j ? j->value("connectionId", "") : "";
    auto s = sessions.find(cid);
    const int index = s == sessions.end() ? -1 : s->second.peer[0] == id ? 0 : s->second.peer[1] == id ? 1 : -1;
    if (!j || index < 0 || !j->contains("report") || !(*j)["report"].is_object()) {
      event("signaling.malformed", "a report that names no session of its sender; dropped");
      return respond(msg, SOUP_STATUS_BAD_REQUEST, "text/plain", "no such session");
    }
    const nlohmann::json internal{{"type", "report"}, {"report", (*j)["report"]}};
    if (interceptor)
      interceptor->on_message(RelayedMessage{cid, index, id, s->second.peer[1 - index], internal.dump()},
                              [](std::string) {});
    respond(msg, SOUP_STATUS_NO_CONTENT);
  }

  // ---- WebSocket -------------------------------------------------------------

  void send_and_close(SoupWebsocketConnection* conn, const PeerJsMessage& m, const std::string& why) {
    soup_websocket_connection_send_text(conn, peerjs_frame(m).c_str());
    soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, why.c_str());
  }

  static PeerJsMessage error_message(const std::string& text) {
    return PeerJsMessage{"ERROR", "", "", nlohmann::json{{"msg", text}}, "", "", nullptr};
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* conn,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->guarded("a WebSocket connection", [&] {
      if (!path || path != self->limits.path + "peerjs") {
        self->event("signaling.rejected",
                    "a WebSocket at " + cut(path ? path : "") + ", not " + self->limits.path + "peerjs");
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "no such endpoint");
        return;
      }
      self->connect(msg, conn);
    });
  }

  void connect(SoupServerMessage* msg, SoupWebsocketConnection* conn) {
    auto q = query_params(soup_server_message_get_uri(msg));
    const std::string id = q["id"], token = q["token"], key = q["key"];
    if (id.empty() || token.empty() || key.empty()) {
      event("signaling.rejected", std::string("a client without id, token or key: ") + kMissingParameters);
      return send_and_close(conn, error_message(kMissingParameters), "missing parameters");
    }
    if (key != limits.key) {
      event("signaling.rejected", "client " + cut(id) + ": invalid key");
      return send_and_close(conn, error_message(kInvalidKey), "invalid key");
    }
    if (!valid_peerjs_id(id) || token.size() > kMaxPeerJsId) {
      event("signaling.rejected", "a client with an invalid id or token: " + cut(id));
      return send_and_close(conn, error_message("Invalid id"), "invalid id");
    }
    auto existing = clients.find(id);
    if (existing != clients.end() && existing->second.token != token) {
      event("signaling.rejected", "id " + id + " is taken; a second client with another token refused");
      return send_and_close(
          conn, PeerJsMessage{"ID-TAKEN", "", "", nlohmann::json{{"msg", "ID is taken"}}, "", "", nullptr}, "id taken");
    }
    if (existing == clients.end() && clients.size() >= limits.max_peers) {
      event("signaling.rejected", "client " + id + " refused: already " + std::to_string(clients.size()) + " peers");
      return send_and_close(conn, error_message("Server has reached its concurrent user limit"), "too many peers");
    }
    Client& c = clients[id];
    if (c.conn) {  // the same id and token: a reconnect takes the old socket's place
      event("signaling.replaced", id + " connected again; its old connection is closed");
      detach(c);
      soup_websocket_connection_close(c.conn.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, "replaced");
    }
    c.id = id;
    c.token = token;
    c.conn.reset(SOUP_WEBSOCKET_CONNECTION(g_object_ref(conn)));
    c.last_seen = Clock::now();
    soup_websocket_connection_set_max_incoming_payload_size(conn, limits.max_message_bytes);
    auto* binding = static_cast<Binding*>(give_to_c(std::make_unique<Binding>(Binding{this, id})));
    c.message_handler = g_signal_connect_data(conn, "message", G_CALLBACK(&Impl::on_frame), binding,
                                              &destroy_closure_data<Binding>, GConnectFlags(0));
    c.closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(&Impl::on_closed), binding);
    event("signaling.joined", id + " connected (PeerJS " + cut(q["version"], 16) + ")");
    soup_websocket_connection_send_text(conn, R"({"type":"OPEN"})");
    auto held = queued.find(id);
    if (held == queued.end()) return;
    auto messages = std::move(held->second);
    queued.erase(held);
    for (const auto& m : messages) send_to(m.message);
  }

  void detach(Client& c) {
    g_signal_handler_disconnect(c.conn.get(), c.closed_handler);
    g_signal_handler_disconnect(c.conn.get(), c.message_handler);  // frees its binding
  }

  static void on_closed(SoupWebsocketConnection* conn, gpointer data) {
    auto* b = static_cast<Binding*>(data);
    Impl* self = b->impl;
    self->guarded("a WebSocket close", [&] {
      const std::string id = b->id;
      auto it = self->clients.find(id);
      if (it == self->clients.end() || it->second.conn.get() != conn) return;
      const gushort code = soup_websocket_connection_get_close_code(conn);
      self->event("signaling.left",
                  id + " left" +
                      (code == SOUP_WEBSOCKET_CLOSE_TOO_BIG          ? " (closed: a frame over the size limit)"
                       : code == SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR ? " (closed: a WebSocket protocol error)"
                                                                     : ""));
      self->detach(it->second);  // frees the binding: use nothing of it after
      self->clients.erase(it);
      self->forget_sessions_of(id);
    });
  }

  // A session both of whose peers are gone is forgotten; its interceptor state goes with it.
  void forget_sessions_of(const std::string& id) {
    for (auto s = sessions.begin(); s != sessions.end();) {
      const Session& v = s->second;
      const bool mine = v.peer[0] == id || v.peer[1] == id;
      if (mine && !clients.count(v.peer[0]) && !clients.count(v.peer[1])) {
        const std::string room = s->first;
        s = sessions.erase(s);
        if (interceptor) guarded("session " + room + " closing", [&] { interceptor->on_room_closed(room); });
      } else {
        ++s;
      }
    }
  }

  static void on_frame(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* b = static_cast<Binding*>(data);
    const std::string id = b->id;  // the binding may go while the frame is handled
    b->impl->guarded("a message from " + id, [&] { b->impl->frame(id, type, message); });
  }

  void frame(const std::string& id, gint type, GBytes* message) {
    auto it = clients.find(id);
    if (it == clients.end()) return;
    Client& from = it->second;
    const auto now = Clock::now();
    from.last_seen = now;
    if (now - from.window_start >= std::chrono::seconds(1)) {
      from.window_start = now;
      from.window_count = 0;
    }
    if (++from.window_count > limits.max_messages_per_second) {
      if (from.window_count == limits.max_messages_per_second + 1)
        event("signaling.rate-limited", id + " exceeded the message rate; dropping");
      return;
    }
    if (type != SOUP_WEBSOCKET_DATA_TEXT) return event("signaling.malformed", id + " sent a binary frame; dropped");
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
    auto m = parse_peerjs(std::string_view(bytes ? bytes : "", size));
    if (!m) return event("signaling.malformed", id + ": " + m.error().message + "; dropped");
    m->src = id;  // PeerServer: the sender is who the socket says, whatever the frame claims
    if (m->type == "HEARTBEAT") return;
    if (m->type == "LEAVE" || m->type == "EXPIRE") {
      if (m->dst.empty()) {
        if (m->type == "LEAVE") {
          event("signaling.left", id + " sent LEAVE; closing it");
          soup_websocket_connection_close(from.conn.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, "leave");
        }
        return;
      }
      if (!valid_peerjs_id(m->dst))
        return event("signaling.malformed", id + ": " + m->type + " to an invalid id; dropped");
      m->payload = nullptr;
      return send_to(*m);
    }
    if (m->type != "OFFER" && m->type != "ANSWER" && m->type != "CANDIDATE")
      return event("signaling.malformed", id + ": unknown PeerJS message type \"" + cut(m->type, 32) + "\"; dropped");
    transmit(std::move(*m));
  }

  // OFFER, ANSWER, CANDIDATE: through the interceptor, as one session's messages.
  void transmit(PeerJsMessage m) {
    auto s = sessions.find(m.connection_id);
    if (m.type == "OFFER" && s == sessions.end()) {
      if (sessions.size() >= limits.max_sessions)
        return event("signaling.rejected",
                     "OFFER from " + m.src + " refused: already " + std::to_string(sessions.size()) + " sessions");
      s = sessions.emplace(m.connection_id, Session{{m.src, m.dst}}).first;
    }
    if (s == sessions.end())
      return event("signaling.malformed",
                   m.src + ": " + m.type + " for connection " + m.connection_id + ", which no OFFER opened; dropped");
    const Session& v = s->second;
    const int index = v.peer[0] == m.src && v.peer[1] == m.dst ? 0 : v.peer[1] == m.src && v.peer[0] == m.dst ? 1 : -1;
    if (index < 0 || (m.type == "ANSWER" && index != 1))
      return event("signaling.rejected", m.src + ": " + m.type + " for connection " + m.connection_id +
                                             ", which belongs to other peers (or is not its to answer); dropped");
    const std::string internal = *peerjs_to_internal(m);
    RelayedMessage in_flight{m.connection_id, index, m.src, m.dst, internal};
    Deliver deliver = [this, original = std::move(m), alive = std::weak_ptr<bool>(alive)](std::string out) {
      if (alive.expired()) return;
      auto frame = peerjs_from_internal(original, out);
      if (!frame)
        return event("relay.error", "cannot write " + original.type + " back as PeerJS: " + frame.error().message);
      send_to(*frame);
    };
    if (interceptor) interceptor->on_message(in_flight, std::move(deliver));
    else deliver(internal);
  }

  void send_to(const PeerJsMessage& m) {
    ++relayed;
    auto c = clients.find(m.dst);
    if (c != clients.end() && soup_websocket_connection_get_state(c->second.conn.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_send_text(c->second.conn.get(), peerjs_frame(m).c_str());
      return;
    }
    // PeerServer holds what a peer not (yet) connected would need, never LEAVE or EXPIRE.
    if (m.type == "LEAVE" || m.type == "EXPIRE") return;
    auto& q = queued[m.dst];
    if (q.size() >= limits.max_queued) {
      if (q.size() == limits.max_queued) event("signaling.dropped", "queue for " + m.dst + " full; dropping");
      return;
    }
    if (q.empty()) event("signaling.queued", m.dst + " is not connected; holding " + m.type + " from " + m.src);
    q.push_back({m, Clock::now()});
  }

  // Every second: queued messages older than `expire` go, with an EXPIRE to
  // each sender (once per sender and destination, as PeerServer does);
  // clients silent for `alive` are closed.
  void sweep_once() {
    const auto now = Clock::now();
    for (auto q = queued.begin(); q != queued.end();) {
      if (q->second.empty() || now - q->second.front().at < limits.expire) {
        ++q;
        continue;
      }
      std::map<std::string, bool> told;
      for (const auto& held : q->second)
        if (!told[held.message.src]) {
          told[held.message.src] = true;
          event("signaling.expired", "held " + held.message.type + " from " + held.message.src + " to " + q->first +
                                         ": " + q->first + " never connected; EXPIRE");
          send_to(PeerJsMessage{"EXPIRE", q->first, held.message.src, nullptr, "", "", nullptr});
        }
      q = queued.erase(q);
    }
    // Collected first: a close may complete (and erase the client) at once.
    std::vector<ObjectPtr<SoupWebsocketConnection>> silent;
    for (auto& [id, c] : clients)
      if (now - c.last_seen > limits.alive) {
        event("signaling.left",
              id + " sent nothing for " + std::to_string(limits.alive.count() / 1000) + " s; closing it");
        c.last_seen = now;  // closed once; on_closed removes it
        silent.emplace_back(SOUP_WEBSOCKET_CONNECTION(g_object_ref(c.conn.get())));
      }
    for (auto& conn : silent)
      soup_websocket_connection_close(conn.get(), SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "no heartbeat");
    arm_sweep();
  }

  void arm_sweep() {
    sweep = loop->after(std::chrono::seconds(1), [this] { guarded("the sweep", [this] { sweep_once(); }); });
  }
};

PeerJsServer::PeerJsServer(MainLoop& loop, const std::string& address, Timeline& timeline, PeerJsLimits limits,
                           std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  impl_->timeline = &timeline;
  impl_->limits = std::move(limits);
  impl_->address = address;
  impl_->loop = &loop;
  if (impl_->limits.path.empty() || impl_->limits.path.front() != '/') impl_->limits.path.insert(0, "/");
  if (impl_->limits.path.back() != '/') impl_->limits.path += '/';
  MainLoop::ThreadDefault td(loop);  // SoupServer listens on the thread-default context
  impl_->server.reset(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, nullptr)));
  soup_server_add_early_handler(impl_->server.get(), "/", &Impl::on_headers, impl_.get(), nullptr);
  soup_server_add_handler(impl_->server.get(), "/", &Impl::on_http, impl_.get(), nullptr);
  // No permessage-deflate (RFC 7692): libsoup checks the payload limit on
  // the compressed frame, so a small frame could inflate to any size.
  soup_server_remove_websocket_extension(impl_->server.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  // At "/" and checked in connect(): libsoup would hand a handler at
  // "<path>peerjs" every path under it too, "<path>peerjs/id" among them.
  soup_server_add_websocket_handler(impl_->server.get(), "/", nullptr, nullptr, &Impl::on_websocket, impl_.get(),
                                    nullptr);
  impl_->port = listen_loopback(impl_->server.get(), address, port);
  impl_->arm_sweep();
}

PeerJsServer::~PeerJsServer() {
  *impl_->alive = false;
  impl_->sweep.cancel();
  for (auto& [id, c] : impl_->clients)
    if (c.conn) {
      impl_->detach(c);
      c.conn.reset();
    }
  if (impl_->server) soup_server_disconnect(impl_->server.get());
}

void PeerJsServer::set_interceptor(SignalingInterceptor* interceptor) { impl_->interceptor = interceptor; }

void PeerJsServer::serve(const std::string& path, const std::string& content_type, std::string body) {
  impl_->pages[path] = {content_type, std::move(body)};
}

std::uint16_t PeerJsServer::port() const { return impl_->port; }
std::string PeerJsServer::base_url() const { return "http://" + impl_->address + ":" + std::to_string(impl_->port); }
std::uint64_t PeerJsServer::messages_relayed() const { return impl_->relayed; }

}  // namespace sigtrust
