// The attacker in front of an unmodified signaling server: a reverse proxy
// on a loopback address that forwards HTTP requests and WebSocket
// connections to the upstream server (also on loopback) and passes the
// signaling each client sends through a SignalingInterceptor, exactly as the
// relay does, before it reaches the upstream. What the upstream sends back is
// forwarded unchanged (every SDP is attacked once, on its way in).
//
// Protocols (core/signaling_adapter):
//  - PeerJs: frames as PeerJS clients send them; each payload.connectionId is
//    one session (room), the peer that sent the OFFER its client 0; the
//    sender's id is the one in its WebSocket URL (?id=), as PeerServer takes it;
//  - Json: the application's own JSON; the SDP and candidate where the JSON
//    Pointers say. A room is the WebSocket URL (path and query), its client
//    0 the first to connect; the first SDP in a room is the offer, an SDP
//    from the other client the answer.
// Locally served, never forwarded: the pages given to serve() and POST
// /sigtrust/report (a page's account of its session, as PeerJsServer takes it).
//
// Error policy: frames from either side are untrusted. Frames the adapter
// cannot read are forwarded unchanged with a timeline event (the proxy
// attacks what it understands and is otherwise transparent); an oversized
// frame closes that connection and its partner; an upstream that refuses,
// closes or does not answer within `upstream_timeout` closes the client's
// connection (HTTP: 502 / 504) with an event. Nothing hangs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "net/main_loop.hpp"
#include "core/signaling_adapter.hpp"
#include "net/signaling_relay.hpp"
#include "core/timeline.hpp"

namespace sigtrust {

struct ProxyOptions {
  std::string upstream;  // "http://127.0.0.1:9000" (the WebSocket URL is the same with ws://)
  enum class Protocol { PeerJs, Json } protocol = Protocol::PeerJs;
  JsonPointerPaths paths;  // Json
  size_t max_message_bytes = 64 * 1024;
  unsigned max_messages_per_second = 200;  // per client
  size_t max_pending = 64;  // frames held while the upstream connection opens
  size_t max_connections = 1024;
  std::chrono::milliseconds upstream_timeout{5000};
};

class SignalingProxy {
 public:
  // Throws SignalingRelay::Failure if it cannot listen.
  SignalingProxy(MainLoop& loop, const std::string& address, Timeline& timeline, ProxyOptions options,
                 std::uint16_t port = 0);
  ~SignalingProxy();
  SignalingProxy(const SignalingProxy&) = delete;
  SignalingProxy& operator=(const SignalingProxy&) = delete;

  void set_interceptor(SignalingInterceptor* interceptor);
  void serve(const std::string& path, const std::string& content_type, std::string body);
  std::uint16_t port() const;
  std::string base_url() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust
