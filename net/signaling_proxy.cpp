#include "net/signaling_proxy.hpp"

#include <libsoup/soup.h>

#include <deque>
#include <map>

#include "core/c_entry.hpp"
#include "core/timeline_events.hpp"
#include "net/glib_handles.hpp"
#include "net/soup_listen.hpp"

namespace sigtrust {
namespace {

std::string cut(const std::string& s, size_t n = 64) { return s.size() <= n ? s : s.substr(0, n) + "…"; }

std::string path_and_query(GUri* uri) {
  std::string out = uri && g_uri_get_path(uri) && *g_uri_get_path(uri) ? g_uri_get_path(uri) : "/";
  if (const char* q = uri ? g_uri_get_query(uri) : nullptr) out += std::string("?") + q;
  return out;
}

// Logs the 1st, 2nd, 4th, 8th… occurrence: a flood stays a few lines.
bool worth_logging(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

struct SignalingProxy::Impl {
  // One client's WebSocket and the proxy's own connection to the upstream for it.
  struct Pair {
    std::uint64_t id = 0;
    ObjectPtr<SoupWebsocketConnection> client, upstream;
    gulong client_message = 0, client_closed = 0, upstream_message = 0, upstream_closed = 0;
    ObjectPtr<GCancellable> connecting;
    Timer deadline;
    std::deque<std::string> pending;  // client frames while the upstream connection opens
    std::string label;  // PeerJS: the peer id; Json: ?peer= / ?id= or clientN
    std::string room;  // Json: the WebSocket URL's path
    int index = 0;  // Json: 0 or 1 in its room; -1 beyond two clients
    Clock::time_point window_start = Clock::now();
    unsigned window_count = 0;
    std::uint64_t upstream_malformed = 0;
  };
  struct Binding {
    Impl* impl;
    std::uint64_t pair;
    bool upstream;
  };
  struct UpstreamTag {  // what on_upstream needs, through libsoup's user data
    std::weak_ptr<bool> alive;
    Impl* impl;
    std::uint64_t pair;
  };
  struct Session {  // PeerJS: by connectionId
    std::string peer[2];
  };
  struct Room {  // Json: by WebSocket URL
    std::uint64_t pair[2] = {0, 0};
    std::string label[2];
    int offerer = -1;
  };

  MainLoop* loop = nullptr;
  Timeline* timeline = nullptr;
  ProxyOptions options;
  SignalingInterceptor* interceptor = nullptr;
  ObjectPtr<SoupServer> server;
  ObjectPtr<SoupSession> session;
  ObjectPtr<GCancellable> cancel_all;
  std::string address, upstream_ws;
  std::uint16_t port = 0;
  std::uint64_t next_pair = 1;
  std::map<std::uint64_t, Pair> pairs;
  std::map<std::string, std::uint64_t> peers;  // PeerJS id -> pair
  std::map<std::string, Session> sessions;
  std::map<std::string, Room> rooms;
  std::map<std::string, std::pair<std::string, std::string>> pages;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  void event(const std::string& kind, const std::string& text) { timeline->add("proxy", kind, text); }

  // Entries from libsoup (core/c_entry.hpp): a failure of ours becomes a relay.error event.
  template <typename F>
  void guarded(const std::string& what, F&& step) {
    const CEntryReport to_timeline = [this](const std::string& where, const std::string& e) {
      event(events::kRelayError, where + ": " + e);
    };
    c_entry(what, std::forward<F>(step), &to_timeline);
  }

  // ---- HTTP: served here, or forwarded ---------------------------------------

  struct HttpForward {
    std::weak_ptr<bool> alive;
    Impl* impl;
    ObjectPtr<SoupServerMessage> incoming;
    ObjectPtr<SoupMessage> outgoing;
    std::shared_ptr<bool> gone = std::make_shared<bool>(false);  // the client went away
    std::string path;
  };

  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->guarded("an HTTP request", [&] {
      SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
      if (soup_message_headers_header_contains(request, "Upgrade", "websocket")) return;  // on_websocket's
      self->http(msg, path ? path : "/");
    });
  }

  void respond(SoupServerMessage* msg, guint status, const std::string& type = {}, const std::string& body = {}) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
    if (!type.empty()) soup_server_message_set_response(msg, type.c_str(), SOUP_MEMORY_COPY, body.data(), body.size());
    soup_server_message_set_status(msg, status, nullptr);
  }

  void http(SoupServerMessage* msg, const std::string& path) {
    const std::string method = soup_server_message_get_method(msg);
    if (method == "POST" && path == "/sigtrust/report") return report(msg);
    if ((method == "GET" || method == "HEAD") && pages.count(path))
      return respond(msg, SOUP_STATUS_OK, pages[path].first, pages[path].second);
    const std::string target = options.upstream + path_and_query(soup_server_message_get_uri(msg));
    ObjectPtr<SoupMessage> out(soup_message_new(method.c_str(), target.c_str()));
    if (!out) return respond(msg, SOUP_STATUS_BAD_REQUEST);
    SoupMessage* outgoing = out.get();
    auto f = std::make_unique<HttpForward>(
        HttpForward{alive, this, ObjectPtr<SoupServerMessage>(SOUP_SERVER_MESSAGE(g_object_ref(msg))), std::move(out),
                    std::make_shared<bool>(false), path});
    // The request's body and type go on as they came.
    SoupMessageHeaders* in_headers = soup_server_message_get_request_headers(msg);
    if (const char* type = soup_message_headers_get_content_type(in_headers, nullptr)) {
      const BytesPtr body(soup_message_body_flatten(soup_server_message_get_request_body(msg)));
      soup_message_set_request_body_from_bytes(outgoing, type, body.get());
    }
    g_signal_connect_data(msg, "disconnected", G_CALLBACK(+[](SoupServerMessage*, gpointer gone) {
                            **static_cast<std::shared_ptr<bool>*>(gone) = true;
                          }),
                          give_to_c(std::make_unique<std::shared_ptr<bool>>(f->gone)),
                          &destroy_closure_data<std::shared_ptr<bool>>, GConnectFlags(0));
    soup_server_message_pause(msg);
    // libsoup calls on_http_done exactly once, which takes `f` back.
    soup_session_send_and_read_async(session.get(), outgoing, G_PRIORITY_DEFAULT, cancel_all.get(), &Impl::on_http_done,
                                     give_to_c(std::move(f)));
  }

  static void on_http_done(GObject* source, GAsyncResult* result, gpointer data) {
    const auto f = take_from_c<HttpForward>(data);
    GlibError err;
    const BytesPtr body(soup_session_send_and_read_finish(SOUP_SESSION(source), result, err.out()));
    if (f->alive.expired() || *f->gone) return;
    f->impl->guarded("an HTTP answer from the upstream", [&] { f->impl->http_done(*f, body.get(), err); });
  }

  void http_done(const HttpForward& f, GBytes* body, const GlibError& err) {
    SoupServerMessage* msg = f.incoming.get();
    if (!body) {
      const bool timeout = err.matches(G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      event("proxy.upstream-error", "HTTP " + cut(f.path) + ": " + err.text());
      respond(msg, timeout ? SOUP_STATUS_GATEWAY_TIMEOUT : SOUP_STATUS_BAD_GATEWAY, "text/plain",
              "upstream: " + err.text());
      soup_server_message_unpause(msg);
      return;
    }
    SoupMessageHeaders* up = soup_message_get_response_headers(f.outgoing.get());
    const char* type = soup_message_headers_get_content_type(up, nullptr);
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(body, &size));
    soup_server_message_set_response(msg, type ? type : "application/octet-stream", SOUP_MEMORY_COPY, bytes, size);
    if (const char* cors = soup_message_headers_get_one(up, "Access-Control-Allow-Origin"))
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Access-Control-Allow-Origin", cors);
    soup_server_message_set_status(msg, soup_message_get_status(f.outgoing.get()), nullptr);
    soup_server_message_unpause(msg);
  }

  void report(SoupServerMessage* msg) {
    const BytesPtr bytes(soup_message_body_flatten(soup_server_message_get_request_body(msg)));
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(bytes.get(), &size));
    const std::string text(data ? data : "", size);
    auto j = parse_bounded_json(text);
    const std::string id = j ? j->value("id", "") : "", cid = j ? j->value("connectionId", "") : "";
    std::string room, other;
    int index = -1;
    if (auto s = sessions.find(cid); s != sessions.end()) {  // PeerJS
      index = s->second.peer[0] == id ? 0 : s->second.peer[1] == id ? 1 : -1;
      room = cid;
      if (index >= 0) other = s->second.peer[1 - index];
    } else if (auto r = rooms.find(j ? j->value("room", "") : ""); r != rooms.end()) {  // Json
      index = r->second.label[0] == id ? 0 : r->second.label[1] == id ? 1 : -1;
      room = r->first;
      if (index >= 0) other = r->second.label[1 - index];
    }
    if (!j || index < 0 || !j->contains("report") || !(*j)["report"].is_object()) {
      event("signaling.malformed", "a report that names no session of its sender; dropped");
      return respond(msg, SOUP_STATUS_BAD_REQUEST, "text/plain", "no such session");
    }
    const nlohmann::json internal{{"type", "report"}, {"report", (*j)["report"]}};
    if (interceptor)
      interceptor->on_message(RelayedMessage{room, index, id, other, internal.dump()}, [](std::string) {});
    respond(msg, SOUP_STATUS_NO_CONTENT);
  }

  // ---- WebSocket ---------------------------------------------------------------

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* conn,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->guarded("a WebSocket connection", [&] { self->accept(msg, conn); });
  }

  void accept(SoupServerMessage* msg, SoupWebsocketConnection* conn) {
    if (pairs.size() >= options.max_connections) {
      event("signaling.rejected", "a client refused: already " + std::to_string(pairs.size()) + " connections");
      soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many connections");
      return;
    }
    GUri* uri = soup_server_message_get_uri(msg);
    const std::string target = path_and_query(uri);
    const std::uint64_t id = next_pair++;
    Pair& p = pairs[id];
    p.id = id;
    p.client.reset(SOUP_WEBSOCKET_CONNECTION(g_object_ref(conn)));
    soup_websocket_connection_set_max_incoming_payload_size(conn, options.max_message_bytes);
    if (options.protocol == ProxyOptions::Protocol::PeerJs) {
      p.label = query_params(uri)["id"];
      if (valid_peerjs_id(p.label)) peers[p.label] = id;  // the upstream decides whether the id is taken
    } else {
      // The path is the room; the query is the client's own (?peer=, tokens).
      p.room = cut(uri && g_uri_get_path(uri) && *g_uri_get_path(uri) ? g_uri_get_path(uri) : "/", 256);
      Room& r = rooms[p.room];
      p.index = !r.pair[0] ? 0 : !r.pair[1] ? 1 : -1;
      auto query = query_params(uri);
      std::string asked = query["peer"];
      if (asked.empty()) asked = query["id"];
      p.label = valid_peerjs_id(asked) ? asked : "client" + std::to_string(p.index < 0 ? 2 : p.index);
      if (p.index >= 0) {
        r.pair[p.index] = id;
        r.label[p.index] = p.label;
      } else {
        event("signaling.rejected", "a third client in room " + p.room + ": its frames pass unattacked");
      }
    }
    auto* b = static_cast<Binding*>(give_to_c(std::make_unique<Binding>(Binding{this, id, false})));
    p.client_message = g_signal_connect_data(conn, "message", G_CALLBACK(&Impl::on_frame), b,
                                             &destroy_closure_data<Binding>, GConnectFlags(0));
    p.client_closed = g_signal_connect(conn, "closed", G_CALLBACK(&Impl::on_closed), b);
    event("signaling.joined", p.label + " connected; opening " + cut(upstream_ws + target, 120));
    const ObjectPtr<SoupMessage> up(soup_message_new("GET", (upstream_ws + target).c_str()));
    if (!up) return close_pair(id, "the upstream URL is not valid for " + cut(target));
    p.connecting.reset(g_cancellable_new());
    // libsoup calls on_upstream exactly once, which takes the tag back.
    soup_session_websocket_connect_async(session.get(), up.get(), nullptr, nullptr, G_PRIORITY_DEFAULT,
                                         p.connecting.get(), &Impl::on_upstream,
                                         give_to_c(std::make_unique<UpstreamTag>(UpstreamTag{alive, this, id})));
    // An upstream that accepts the connection and never answers: cancelled, the client closed.
    p.deadline = loop->after(options.upstream_timeout, [this, id] {
      auto it = pairs.find(id);
      if (it == pairs.end() || it->second.upstream) return;
      event("proxy.upstream-error", it->second.label + ": the upstream did not answer within " +
                                        std::to_string(options.upstream_timeout.count()) + " ms");
      g_cancellable_cancel(it->second.connecting.get());
    });
  }

  static void on_upstream(GObject* source, GAsyncResult* result, gpointer data) {
    const auto tag = take_from_c<UpstreamTag>(data);
    GlibError err;
    ObjectPtr<SoupWebsocketConnection> conn(
        soup_session_websocket_connect_finish(SOUP_SESSION(source), result, err.out()));
    if (tag->alive.expired()) return;
    Impl* self = tag->impl;
    self->guarded("the upstream connection", [&] { self->upstream_ready(tag->pair, std::move(conn), err.text()); });
  }

  void upstream_ready(std::uint64_t id, ObjectPtr<SoupWebsocketConnection> owned, const std::string& why) {
    auto it = pairs.find(id);
    if (it == pairs.end()) {
      if (owned) soup_websocket_connection_close(owned.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
      return;
    }
    SoupWebsocketConnection* conn = owned.get();
    Pair& p = it->second;
    p.deadline.cancel();
    p.connecting.reset();
    if (!conn) {
      event("proxy.upstream-error", p.label + ": cannot open the upstream WebSocket: " + why);
      return close_pair(id, "upstream unavailable");
    }
    p.upstream = std::move(owned);  // the finish call gave us its reference
    soup_websocket_connection_set_max_incoming_payload_size(conn, options.max_message_bytes);
    auto* b = static_cast<Binding*>(give_to_c(std::make_unique<Binding>(Binding{this, id, true})));
    p.upstream_message = g_signal_connect_data(conn, "message", G_CALLBACK(&Impl::on_frame), b,
                                               &destroy_closure_data<Binding>, GConnectFlags(0));
    p.upstream_closed = g_signal_connect(conn, "closed", G_CALLBACK(&Impl::on_closed), b);
    auto pending = std::move(p.pending);
    p.pending.clear();
    for (const auto& f : pending) soup_websocket_connection_send_text(conn, f.c_str());
  }

  static void on_closed(SoupWebsocketConnection* conn, gpointer data) {
    auto* b = static_cast<Binding*>(data);
    b->impl->guarded("a WebSocket close", [&] {
      Impl* self = b->impl;
      const std::uint64_t id = b->pair;
      const bool upstream = b->upstream;
      auto it = self->pairs.find(id);
      if (it == self->pairs.end()) return;
      const gushort code = soup_websocket_connection_get_close_code(conn);
      const std::string how = code == SOUP_WEBSOCKET_CLOSE_TOO_BIG          ? " (a frame over the size limit)"
                              : code == SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR ? " (a WebSocket protocol error)"
                                                                            : "";
      if (upstream)
        self->event("proxy.upstream-closed", "the upstream closed " + it->second.label + "'s connection" + how);
      else self->event("signaling.left", it->second.label + " left" + how);
      self->close_pair(id, upstream ? "upstream closed" : "");
    });
  }

  void disconnect(SoupWebsocketConnection* c, gulong& message, gulong& closed) {
    if (!c) return;
    if (closed) g_signal_handler_disconnect(c, closed);
    if (message) g_signal_handler_disconnect(c, message);  // frees the binding
    message = closed = 0;
  }

  // Closes both sides of a pair and forgets it; sessions and rooms nobody is in any more go too.
  void close_pair(std::uint64_t id, const std::string& why) {
    auto it = pairs.find(id);
    if (it == pairs.end()) return;
    Pair p = std::move(it->second);
    pairs.erase(it);
    p.deadline.cancel();
    if (p.connecting) g_cancellable_cancel(p.connecting.get());
    disconnect(p.client.get(), p.client_message, p.client_closed);
    disconnect(p.upstream.get(), p.upstream_message, p.upstream_closed);
    for (SoupWebsocketConnection* c : {p.client.get(), p.upstream.get()})
      if (c && soup_websocket_connection_get_state(c) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(c, why.empty() ? SOUP_WEBSOCKET_CLOSE_NORMAL : SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                        why.empty() ? nullptr : why.c_str());
    if (options.protocol == ProxyOptions::Protocol::PeerJs) {
      if (auto peer = peers.find(p.label); peer != peers.end() && peer->second == id) peers.erase(peer);
      for (auto s = sessions.begin(); s != sessions.end();) {
        const bool mine = s->second.peer[0] == p.label || s->second.peer[1] == p.label;
        if (mine && !peers.count(s->second.peer[0]) && !peers.count(s->second.peer[1])) {
          const std::string room = s->first;
          s = sessions.erase(s);
          if (interceptor) guarded("session " + room + " closing", [&] { interceptor->on_room_closed(room); });
        } else {
          ++s;
        }
      }
    } else if (auto r = rooms.find(p.room); r != rooms.end() && p.index >= 0) {
      r->second.pair[p.index] = 0;
      if (!r->second.pair[0] && !r->second.pair[1]) {
        const std::string room = r->first;
        rooms.erase(r);
        if (interceptor) guarded("room " + room + " closing", [&] { interceptor->on_room_closed(room); });
      }
    }
  }

  static void on_frame(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* b = static_cast<Binding*>(data);
    Impl* self = b->impl;
    const std::uint64_t id = b->pair;
    const bool upstream = b->upstream;
    self->guarded("a frame", [&] { self->frame(id, upstream, type, message); });
  }

  void frame(std::uint64_t id, bool from_upstream, gint type, GBytes* message) {
    auto it = pairs.find(id);
    if (it == pairs.end()) return;
    Pair& p = it->second;
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
    std::string text(bytes ? bytes : "", size);
    if (from_upstream) {
      // What the server says goes to the client as it came, binary frames
      // too; what is not JSON is worth a line (the proxy attacks nothing in it).
      if (type == SOUP_WEBSOCKET_DATA_TEXT && !parse_bounded_json(text) && worth_logging(++p.upstream_malformed))
        event("proxy.upstream-malformed", "the upstream sent " + p.label + " a frame that is not a JSON object (" +
                                              std::to_string(p.upstream_malformed) + " so far); forwarded unchanged");
      if (type == SOUP_WEBSOCKET_DATA_TEXT) soup_websocket_connection_send_text(p.client.get(), text.c_str());
      else soup_websocket_connection_send_binary(p.client.get(), text.data(), text.size());
      return;
    }
    const auto now = Clock::now();
    if (now - p.window_start >= std::chrono::seconds(1)) {
      p.window_start = now;
      p.window_count = 0;
    }
    if (++p.window_count > options.max_messages_per_second) {
      if (p.window_count == options.max_messages_per_second + 1)
        event("signaling.rate-limited", p.label + " exceeded the message rate; dropping");
      return;
    }
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
      event("signaling.malformed", p.label + " sent a binary frame; forwarded unchanged");
      return to_upstream(id, std::move(text), true);
    }
    if (options.protocol == ProxyOptions::Protocol::PeerJs) peerjs_frame_in(p, std::move(text));
    else json_frame_in(p, std::move(text));
  }

  void to_upstream(std::uint64_t id, std::string text, bool binary = false) {
    auto it = pairs.find(id);
    if (it == pairs.end()) return;  // the client left (e.g. before the attacker finished gathering)
    Pair& p = it->second;
    if (!p.upstream) {
      if (p.pending.size() < options.max_pending) p.pending.push_back(std::move(text));
      else
        event("signaling.dropped", p.label + ": the upstream is not connected yet and " +
                                       std::to_string(p.pending.size()) + " frames wait; dropped");
      return;
    }
    if (soup_websocket_connection_get_state(p.upstream.get()) != SOUP_WEBSOCKET_STATE_OPEN) return;
    if (binary) soup_websocket_connection_send_binary(p.upstream.get(), text.data(), text.size());
    else soup_websocket_connection_send_text(p.upstream.get(), text.c_str());
  }

  Deliver deliver_for(std::uint64_t id, std::function<Result<std::string>(const std::string&)> rebuild) {
    return [this, id, rebuild = std::move(rebuild), alive = std::weak_ptr<bool>(alive)](std::string out) {
      if (alive.expired()) return;
      auto frame = rebuild(out);
      if (!frame) return event("relay.error", "cannot write a frame back: " + frame.error().message);
      to_upstream(id, std::move(*frame));
    };
  }

  void peerjs_frame_in(Pair& p, std::string text) {
    auto m = parse_peerjs(text);
    if (!m) {
      event("signaling.malformed", p.label + ": " + m.error().message + "; forwarded unchanged");
      return to_upstream(p.id, std::move(text));
    }
    auto internal = peerjs_to_internal(*m);
    if (!internal) return to_upstream(p.id, std::move(text));  // HEARTBEAT, LEAVE, …: not signaling the attack reads
    m->src = p.label;
    auto s = sessions.find(m->connection_id);
    if (m->type == "OFFER" && s == sessions.end() && valid_peerjs_id(p.label))
      s = sessions.emplace(m->connection_id, Session{{m->src, m->dst}}).first;
    const int index = s == sessions.end()                                          ? -1
                      : s->second.peer[0] == m->src && s->second.peer[1] == m->dst ? 0
                      : s->second.peer[1] == m->src && s->second.peer[0] == m->dst ? 1
                                                                                   : -1;
    if (index < 0) {
      event("signaling.malformed", p.label + ": " + m->type + " for connection " + m->connection_id +
                                       " that no OFFER between these peers opened; forwarded unchanged");
      return to_upstream(p.id, std::move(text));
    }
    RelayedMessage in_flight{m->connection_id, index, m->src, m->dst, *internal};
    Deliver deliver = deliver_for(p.id, [original = std::move(*m)](const std::string& out) -> Result<std::string> {
      auto frame = peerjs_from_internal(original, out);
      if (!frame) return frame.error();
      return peerjs_frame(*frame);
    });
    if (interceptor) interceptor->on_message(in_flight, std::move(deliver));
    else deliver(*internal);
  }

  void json_frame_in(Pair& p, std::string text) {
    auto m = parse_pointer_message(text, options.paths);
    if (!m) {
      event("signaling.malformed", p.label + ": " + m.error().message + "; forwarded unchanged");
      return to_upstream(p.id, std::move(text));
    }
    if (m->kind == PointerMessage::Kind::Other || p.index < 0) return to_upstream(p.id, std::move(text));
    Room& r = rooms[p.room];
    auto sdp_type = SignalingMessage::Type::Answer;
    if (m->kind == PointerMessage::Kind::Sdp && (r.offerer < 0 || r.offerer == p.index)) {
      sdp_type = SignalingMessage::Type::Offer;  // the room's first SDP, or a new one from its offerer
      r.offerer = p.index;
    }
    if (m->kind == PointerMessage::Kind::Candidate && r.offerer < 0) {
      event("signaling.malformed",
            p.label + ": a candidate before any SDP in room " + p.room + "; forwarded unchanged");
      return to_upstream(p.id, std::move(text));
    }
    const std::string internal = pointer_to_internal(*m, sdp_type);
    const int other = 1 - p.index;
    RelayedMessage in_flight{p.room, p.index, p.label,
                             r.label[other].empty() ? "client" + std::to_string(other) : r.label[other], internal};
    Deliver deliver = deliver_for(p.id, [original = std::move(*m), paths = options.paths](const std::string& out) {
      return pointer_from_internal(original, paths, out);
    });
    if (interceptor) interceptor->on_message(in_flight, std::move(deliver));
    else deliver(internal);
  }
};

SignalingProxy::SignalingProxy(MainLoop& loop, const std::string& address, Timeline& timeline, ProxyOptions options,
                               std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  impl_->loop = &loop;
  impl_->timeline = &timeline;
  impl_->options = std::move(options);
  impl_->address = address;
  while (!impl_->options.upstream.empty() && impl_->options.upstream.back() == '/') impl_->options.upstream.pop_back();
  const std::string& up = impl_->options.upstream;
  impl_->upstream_ws = (up.rfind("https://", 0) == 0  ? "wss://" + up.substr(8)
                        : up.rfind("http://", 0) == 0 ? "ws://" + up.substr(7)
                                                      : up);
  if (up.rfind("ws://", 0) == 0) impl_->options.upstream = "http://" + up.substr(5);
  MainLoop::ThreadDefault td(loop);  // the server and the session belong to the run's context
  impl_->server.reset(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, nullptr)));
  const auto timeout_s = static_cast<guint>((impl_->options.upstream_timeout.count() + 999) / 1000);
  impl_->session.reset(soup_session_new_with_options("timeout", timeout_s, "idle-timeout", timeout_s, nullptr));
  // Nor towards the upstream: an upstream's frame inflating past the limit.
  soup_session_remove_feature_by_type(impl_->session.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  impl_->cancel_all.reset(g_cancellable_new());
  soup_server_add_handler(impl_->server.get(), "/", &Impl::on_http, impl_.get(), nullptr);
  // No permessage-deflate (RFC 7692): libsoup checks the payload limit on
  // the compressed frame, so a small frame could inflate to any size.
  soup_server_remove_websocket_extension(impl_->server.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_websocket_handler(impl_->server.get(), "/", nullptr, nullptr, &Impl::on_websocket, impl_.get(),
                                    nullptr);
  impl_->port = listen_loopback(impl_->server.get(), address, port);
}

SignalingProxy::~SignalingProxy() {
  *impl_->alive = false;
  g_cancellable_cancel(impl_->cancel_all.get());
  std::vector<std::uint64_t> ids;
  for (const auto& [id, p] : impl_->pairs) ids.push_back(id);
  impl_->interceptor = nullptr;  // rooms closing now are not news to anyone
  for (auto id : ids) impl_->close_pair(id, "proxy stopped");
  if (impl_->server) soup_server_disconnect(impl_->server.get());
}

void SignalingProxy::set_interceptor(SignalingInterceptor* interceptor) { impl_->interceptor = interceptor; }

void SignalingProxy::serve(const std::string& path, const std::string& content_type, std::string body) {
  impl_->pages[path] = {content_type, std::move(body)};
}

std::uint16_t SignalingProxy::port() const { return impl_->port; }
std::string SignalingProxy::base_url() const { return "http://" + impl_->address + ":" + std::to_string(impl_->port); }

}  // namespace sigtrust
