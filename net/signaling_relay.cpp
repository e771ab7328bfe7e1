#include "net/signaling_relay.hpp"

#include <libsoup/soup.h>

#include <deque>
#include <map>

#include "core/c_entry.hpp"
#include "core/signaling_message.hpp"
#include "core/timeline_events.hpp"
#include "net/soup_listen.hpp"

namespace sigtrust {
namespace {

bool valid_label(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!g_ascii_isalnum(c) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

struct SignalingRelay::Impl {
  struct Client {
    ObjectPtr<SoupWebsocketConnection> conn;
    std::string label;
    gulong message_handler = 0, closed_handler = 0;
    Clock::time_point window_start = Clock::now();
    unsigned window_count = 0;
  };
  struct Room {
    Client clients[2];
    std::deque<std::string> held[2];  // messages for a client that has not joined yet
  };

  SignalingRelay* owner = nullptr;
  Timeline* timeline = nullptr;
  RelayLimits limits;
  ObjectPtr<SoupServer> server;
  std::map<std::string, Room> rooms;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::string page;  // served at "/" to plain HTTP GETs, if set

  static void on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->guarded("an HTTP request", [&] {
      // A WebSocket upgrade: left without a status, so libsoup hands it to
      // on_websocket — unless a browser sends it from another site's page.
      SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
      if (soup_message_headers_header_contains(request, "Upgrade", "websocket")) {
        const char* origin = soup_message_headers_get_one(request, "Origin");
        if (origin && !self->page.empty() && origin != self->owner->page_origin()) {
          self->timeline->add("relay", events::kSignalingRejected,
                              std::string("WebSocket from origin ") + origin + " refused");
          soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, nullptr);
        }
        return;
      }
      const std::string method = soup_server_message_get_method(msg);
      if (method != "GET" && method != "HEAD") {
        soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
        return;
      }
      if (path && std::string_view(path) == "/favicon.ico") {  // browsers ask; nothing to show
        soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
        return;
      }
      if (self->page.empty() || !path || std::string_view(path) != "/") {
        soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
        return;
      }
      soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
      soup_server_message_set_response(msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, self->page.data(),
                                       self->page.size());
      soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    });
  }

  struct Binding {
    Impl* impl;
    std::string room;
    int index;
  };

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* conn,
                           gpointer data) {
    auto* self = static_cast<Impl*>(data);
    self->guarded("a WebSocket connection", [&] {
      std::string room = path ? path : "/";
      if (room.size() > 128) room.resize(128);
      if (!self->rooms.count(room) && self->rooms.size() >= self->limits.max_rooms) {
        self->timeline->add("relay", events::kSignalingRejected,
                            "room " + room + " refused: already " + std::to_string(self->rooms.size()) + " rooms open");
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many rooms");
        return;
      }
      Room& r = self->rooms[room];
      int index = !r.clients[0].conn ? 0 : !r.clients[1].conn ? 1 : -1;
      const std::string asked = query_params(soup_server_message_get_uri(msg))["peer"];
      if (index < 0 && valid_label(asked)) {
        // A client coming back under its label (a reloaded page) may arrive
        // before its old connection's close: the new one takes the old one's place.
        for (int i : {0, 1}) {
          Client& old = r.clients[i];
          if (old.label != asked) continue;
          self->timeline->add("relay", events::kSignalingReplaced,
                              asked + " joined room " + room + " again; its old connection is closed");
          SoupWebsocketConnection* stale = old.conn.get();
          g_signal_handler_disconnect(stale, old.closed_handler);
          g_signal_handler_disconnect(stale, old.message_handler);  // frees its binding
          soup_websocket_connection_close(stale, SOUP_WEBSOCKET_CLOSE_NORMAL, "replaced");
          old.conn.reset();
          index = i;
          break;
        }
      }
      if (index < 0) {
        self->timeline->add("relay", events::kSignalingRejected, "room " + room + " is full; third client refused");
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "room full");
        return;
      }
      Client& c = r.clients[index];
      c.conn.reset(SOUP_WEBSOCKET_CONNECTION(g_object_ref(conn)));
      c.label = valid_label(asked) ? asked : "client" + std::to_string(index);
      soup_websocket_connection_set_max_incoming_payload_size(conn, self->limits.max_message_bytes);
      auto* binding = static_cast<Binding*>(give_to_c(std::make_unique<Binding>(Binding{self, room, index})));
      c.message_handler = g_signal_connect_data(conn, "message", G_CALLBACK(&Impl::on_frame), binding,
                                                &destroy_closure_data<Binding>, GConnectFlags(0));
      c.closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(&Impl::on_closed), binding);
      self->timeline->add("relay", events::kSignalingJoined, c.label + " joined room " + room);
      while (!r.held[index].empty()) {
        soup_websocket_connection_send_text(conn, r.held[index].front().c_str());
        r.held[index].pop_front();
      }
    });
  }

  static void on_closed(SoupWebsocketConnection* conn, gpointer data) {
    auto* b = static_cast<Binding*>(data);
    b->impl->guarded("a WebSocket close", [&] {
      auto it = b->impl->rooms.find(b->room);
      if (it == b->impl->rooms.end()) return;
      Client& c = it->second.clients[b->index];
      if (c.conn.get() != conn) return;
      b->impl->timeline->add("relay", events::kSignalingLeft, c.label + " left room " + b->room);
      g_signal_handler_disconnect(conn, c.closed_handler);
      Impl* self = b->impl;
      const std::string room = b->room;
      g_signal_handler_disconnect(conn, c.message_handler);  // frees the binding: use nothing of it after
      c.conn.reset();
      // A room nobody is in is forgotten, with what it held: its senders are gone.
      const Room& r = it->second;
      if (r.clients[0].conn || r.clients[1].conn) return;
      self->rooms.erase(it);
      if (SignalingInterceptor* i = self->owner->interceptor_; i && !self->owner->bypassed_.count(room))
        self->guarded("room " + room + " closing", [&] { i->on_room_closed(room); });
    });
  }

  // Runs a step that network input started (an entry from libsoup, core/c_entry.hpp);
  // a failure of ours (e.g. no file descriptor left for an attacker's agent)
  // becomes a relay.error event in the timeline.
  template <typename F>
  void guarded(const std::string& what, F&& step) {
    const CEntryReport to_timeline = [this](const std::string& where, const std::string& e) {
      timeline->add("relay", events::kRelayError, where + ": " + e);
    };
    c_entry(what, std::forward<F>(step), &to_timeline);
  }

  static void on_frame(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* b = static_cast<Binding*>(data);
    b->impl->guarded("a message in room " + b->room, [&] { b->impl->handle(b->room, b->index, type, message); });
  }

  void handle(const std::string& room, int index, gint type, GBytes* message) {
    Room& r = rooms[room];
    Client& from = r.clients[index];
    // Per-client rate limit over one-second windows, before anything is logged.
    const auto now = Clock::now();
    if (now - from.window_start >= std::chrono::seconds(1)) {
      from.window_start = now;
      from.window_count = 0;
    }
    if (++from.window_count > limits.max_messages_per_second) {
      if (from.window_count == limits.max_messages_per_second + 1)
        timeline->add("relay", events::kSignalingRateLimited, from.label + " exceeded the message rate; dropping");
      return;
    }
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
      timeline->add("relay", events::kSignalingMalformed, from.label + " sent a binary frame; dropped");
      return;
    }
    gsize size = 0;
    const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
    std::string text(bytes ? bytes : "", size);
    auto parsed = parse_signaling(text);
    if (!parsed) {
      timeline->add("relay", events::kSignalingMalformed, from.label + ": " + parsed.error().message + "; dropped");
      return;
    }
    const int to = 1 - index;
    RelayedMessage m{room, index, from.label, r.clients[to].conn ? r.clients[to].label : "client" + std::to_string(to),
                     std::move(text)};
    Deliver deliver = [this, room, to, alive = std::weak_ptr<bool>(alive)](std::string out) {
      if (alive.expired()) return;
      deliver_to(room, to, std::move(out));
    };
    if (owner->interceptor_ && !owner->bypassed_.count(room)) owner->interceptor_->on_message(m, std::move(deliver));
    else deliver(m.text);
  }

  void deliver_to(const std::string& room, int to, std::string text) {
    auto it = rooms.find(room);
    if (it == rooms.end()) return;  // everyone left (e.g. before the attacker finished gathering)
    Room& r = it->second;
    ++owner->relayed_;
    if (r.clients[to].conn &&
        soup_websocket_connection_get_state(r.clients[to].conn.get()) == SOUP_WEBSOCKET_STATE_OPEN) {
      soup_websocket_connection_send_text(r.clients[to].conn.get(), text.c_str());
    } else if (r.held[to].size() < limits.max_held_messages) {
      r.held[to].push_back(std::move(text));
    }
  }
};

SignalingRelay::SignalingRelay(MainLoop& loop, const std::string& address, Timeline& timeline, RelayLimits limits,
                               std::uint16_t port)
    : impl_(std::make_unique<Impl>()), address_(address) {
  impl_->owner = this;
  impl_->timeline = &timeline;
  impl_->limits = limits;
  MainLoop::ThreadDefault td(loop);  // SoupServer listens on the thread-default context
  impl_->server.reset(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, nullptr)));
  soup_server_add_websocket_handler(impl_->server.get(), "/", nullptr, nullptr, &Impl::on_websocket, impl_.get(),
                                    nullptr);
  // No permessage-deflate (RFC 7692): libsoup checks max_message_bytes on the
  // compressed frame, so a small frame could inflate to any size.
  soup_server_remove_websocket_extension(impl_->server.get(), SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  port_ = listen_loopback(impl_->server.get(), address, port);
}

SignalingRelay::~SignalingRelay() {
  *impl_->alive = false;
  for (auto& [name, room] : impl_->rooms)
    for (auto& c : room.clients)
      if (c.conn) {
        g_signal_handler_disconnect(c.conn.get(), c.closed_handler);
        g_signal_handler_disconnect(c.conn.get(), c.message_handler);
        c.conn.reset();
      }
  if (impl_->server) soup_server_disconnect(impl_->server.get());
}

void SignalingRelay::serve_page(std::string html) {
  const bool first = impl_->page.empty();
  impl_->page = std::move(html);
  if (first) soup_server_add_handler(impl_->server.get(), "/", &Impl::on_http, impl_.get(), nullptr);
}

std::string SignalingRelay::url() const { return "ws://" + address_ + ":" + std::to_string(port_); }

}  // namespace sigtrust
