#include "net/signaling_client.hpp"

#include <libsoup/soup.h>

#include "core/c_entry.hpp"
#include "core/signaling_message.hpp"
#include "net/glib_handles.hpp"

namespace sigtrust {

struct SignalingClient::Impl {
  std::string url;
  SignalingClientCallbacks cb;
  ObjectPtr<SoupSession> session;
  ObjectPtr<GCancellable> cancel;
  ObjectPtr<SoupWebsocketConnection> conn;
  gulong message_handler = 0, closed_handler = 0;
  bool closed_reported = false;

  void report_closed(const std::string& why) {
    if (closed_reported) return;
    closed_reported = true;
    if (cb.on_closed) cb.on_closed(why);
  }

  // Entries from libsoup (core/c_entry.hpp).
  static void on_connected(GObject* source, GAsyncResult* result, gpointer data) {
    GlibError err;
    ObjectPtr<SoupWebsocketConnection> conn(
        soup_session_websocket_connect_finish(SOUP_SESSION(source), result, err.out()));
    c_entry("the signaling client's WebSocket connect", [&] {
      auto* self = static_cast<Impl*>(data);
      if (!conn) {
        if (!err.matches(G_IO_ERROR, G_IO_ERROR_CANCELLED)) self->report_closed(err.describe("cannot connect"));
        return;
      }
      self->conn = std::move(conn);
      SoupWebsocketConnection* c = self->conn.get();
      soup_websocket_connection_set_max_incoming_payload_size(c, kMaxSignalingMessage);
      self->message_handler = g_signal_connect(c, "message", G_CALLBACK(&Impl::on_frame), self);
      self->closed_handler = g_signal_connect(c, "closed", G_CALLBACK(&Impl::on_conn_closed), self);
      if (self->cb.on_open) self->cb.on_open();
    });
  }

  static void on_frame(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    c_entry("the signaling client's 'message' handler", [&] {
      auto* self = static_cast<Impl*>(data);
      if (type != SOUP_WEBSOCKET_DATA_TEXT) return;
      gsize size = 0;
      const auto* bytes = static_cast<const char*>(g_bytes_get_data(message, &size));
      if (self->cb.on_message) self->cb.on_message(std::string(bytes ? bytes : "", size));
    });
  }

  static void on_conn_closed(SoupWebsocketConnection*, gpointer data) {
    c_entry("the signaling client's 'closed' handler",
            [&] { static_cast<Impl*>(data)->report_closed("relay closed the connection"); });
  }
};

SignalingClient::SignalingClient(MainLoop&, std::string url, SignalingClientCallbacks callbacks)
    : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->cb = std::move(callbacks);
  // No proxy resolver: signaling stays on loopback whatever the environment says.
  // No I/O timeout of its own: the run's deadline bounds the connection, and
  // says what the peer was waiting for. A fixed 5 s made peers fail with
  // "Socket I/O timed out" when 80 of them connected at once on two busy cores.
  impl_->session.reset(soup_session_new_with_options("proxy-resolver", nullptr, "timeout", 0u, nullptr));
  impl_->cancel.reset(g_cancellable_new());
}

SignalingClient::~SignalingClient() {
  g_cancellable_cancel(impl_->cancel.get());
  if (impl_->conn) {
    g_signal_handler_disconnect(impl_->conn.get(), impl_->message_handler);
    g_signal_handler_disconnect(impl_->conn.get(), impl_->closed_handler);
  }
}

void SignalingClient::connect() {
  ObjectPtr<SoupMessage> msg(soup_message_new("GET", impl_->url.c_str()));
  if (!msg) {
    impl_->report_closed("bad relay URL " + impl_->url);
    return;
  }
  soup_session_websocket_connect_async(impl_->session.get(), msg.get(), nullptr, nullptr, G_PRIORITY_DEFAULT,
                                       impl_->cancel.get(), &Impl::on_connected, impl_.get());
}

bool SignalingClient::open() const {
  return impl_->conn && soup_websocket_connection_get_state(impl_->conn.get()) == SOUP_WEBSOCKET_STATE_OPEN;
}

bool SignalingClient::send(const std::string& text) {
  if (!open()) return false;
  soup_websocket_connection_send_text(impl_->conn.get(), text.c_str());
  return true;
}

void SignalingClient::close() {
  if (open()) soup_websocket_connection_close(impl_->conn.get(), SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
}

}  // namespace sigtrust
