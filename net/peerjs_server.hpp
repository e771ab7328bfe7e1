// A PeerServer that PeerJS 1.5 clients use unchanged (the signaling server
// of the PeerJS stack), on a loopback address, on the run's main context:
//   GET  <path><key>/id                  a fresh peer id (text)
//   WS   <path>peerjs?key=&id=&token=&version=
//        server → client: OPEN, ERROR (bad key, missing parameters),
//        ID-TAKEN (an id held by another token), EXPIRE (a queued message
//        whose destination never came), and the relayed frames;
//        client → server: HEARTBEAT, OFFER, ANSWER, CANDIDATE, LEAVE, EXPIRE,
//        relayed to `dst` as {type, src, dst, payload}, held (bounded) while
//        `dst` is not connected.
//   POST /sigtrust/report                {"id","connectionId","report":{…}}:
//        what a page saw of its own DTLS session (instrumentation for the
//        live judge, as the sigtrust protocol's {"type":"report"}).
//
// Each PeerJS connection (payload.connectionId) is one session, the "room"
// of the SignalingInterceptor: the peer that sent the OFFER is its client 0.
// The interceptor sees OFFER, ANSWER and CANDIDATE in the internal form
// (core/signaling_adapter) and what it delivers goes out as a PeerJS frame.
//
// Error policy: everything from the network is untrusted. A frame that is
// not JSON, of an unknown type or missing a field is dropped with a timeline
// event; an oversized frame closes that client (libsoup's payload limit); a
// client over its rate limit has frames dropped; a bad key, missing
// parameters or a taken id get ERROR / ID-TAKEN and a closed connection.
// Nothing a client sends affects another client's sessions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/main_loop.hpp"
#include "net/signaling_relay.hpp"
#include "core/timeline.hpp"

namespace sigtrust {

struct PeerJsLimits {
  std::string key = "peerjs";  // PeerServer's default key
  std::string path = "/";  // the PeerServer path (PeerJS's `path` option)
  size_t max_message_bytes = 64 * 1024;
  unsigned max_messages_per_second = 200;  // per client
  size_t max_queued = 32;  // per absent destination
  std::chrono::milliseconds expire{5000};  // a queued message older than this: EXPIRE to its sender
  std::chrono::milliseconds alive{60000};  // a client silent this long (no HEARTBEAT) is closed
  size_t max_peers = 1024;
  size_t max_sessions = 1024;
};

class PeerJsServer {
 public:
  // Throws SignalingRelay::Failure if it cannot listen.
  PeerJsServer(MainLoop& loop, const std::string& address, Timeline& timeline, PeerJsLimits limits = {},
               std::uint16_t port = 0);
  ~PeerJsServer();
  PeerJsServer(const PeerJsServer&) = delete;
  PeerJsServer& operator=(const PeerJsServer&) = delete;

  void set_interceptor(SignalingInterceptor* interceptor);
  // Serves `body` to GET requests for exactly `path` (e.g. the wallet page at "/").
  void serve(const std::string& path, const std::string& content_type, std::string body);
  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.x.y.z:port"
  std::uint64_t messages_relayed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust
