// The signaling relay: a WebSocket server (libsoup 3) on a loopback address,
// on the run's main context. URL path = room; a room joins two clients; each
// message a client sends is forwarded to the other client of its room.
// Messages for a client that has not joined yet are held (bounded) and
// delivered when it joins.
//
// One hook, SignalingInterceptor, sees every message in flight and decides
// what is delivered: the attack plug-ins of the signaling position use it.
//
// Error policy: frames come from the network. Oversized frames close that
// client (libsoup's payload limit); non-JSON or unknown messages are dropped
// with a timeline event; a client over its rate limit has messages dropped;
// other rooms are never affected. A room both clients have left is forgotten,
// with the messages it held.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "net/main_loop.hpp"
#include "core/timeline.hpp"

namespace sigtrust {

struct RelayedMessage {
  std::string room;
  int from_index = 0;  // 0 = first client of the room to join, 1 = second
  std::string from_label;  // the client's ?peer= label, or "client0"/"client1"
  std::string to_label;
  std::string text;  // the frame as sent
};

// Delivers a (possibly rewritten) message to the destination client.
using Deliver = std::function<void(std::string text)>;

class SignalingInterceptor {
 public:
  virtual ~SignalingInterceptor() = default;
  // Called for every message in flight. Call `deliver` now, later (e.g. after
  // gathering candidates), several times, or never (a drop).
  virtual void on_message(const RelayedMessage& message, Deliver deliver) = 0;
  // Both clients of `room` have left: the relay forgets it (and what it held).
  virtual void on_room_closed(const std::string& /*room*/) {}
};

struct RelayLimits {
  size_t max_message_bytes = 64 * 1024;
  unsigned max_messages_per_second = 200;  // per client
  size_t max_held_messages = 32;  // per absent client
  size_t max_rooms = 1024;  // rooms with a client in them; more are refused
};

class SignalingRelay {
 public:
  // Listens on `address` (a loopback address) at `port` (0: OS-chosen).
  // Throws SignalingRelay::Failure if it cannot listen (a simulator failure).
  SignalingRelay(MainLoop& loop, const std::string& address, Timeline& timeline, RelayLimits limits = {},
                 std::uint16_t port = 0);
  ~SignalingRelay();
  SignalingRelay(const SignalingRelay&) = delete;
  SignalingRelay& operator=(const SignalingRelay&) = delete;

  struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  void set_interceptor(SignalingInterceptor* interceptor) { interceptor_ = interceptor; }
  // Messages of this room pass unchanged even with an interceptor set.
  void bypass(const std::string& room) { bypassed_.insert(room); }
  // Serves `html` to plain HTTP GET requests for "/" (the live demo page);
  // any other plain HTTP request gets 404. From then on a WebSocket upgrade
  // that carries an Origin header (every browser sends one) is refused unless
  // it is this relay's own page's origin: another site open in the same
  // browser must not join rooms.
  void serve_page(std::string html);
  std::string url() const;  // "ws://127.x.y.z:port"
  std::string page_origin() const { return "http://" + address_ + ":" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }
  std::uint64_t messages_relayed() const { return relayed_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SignalingInterceptor* interceptor_ = nullptr;
  std::set<std::string> bypassed_;
  std::string address_;
  std::uint16_t port_ = 0;
  std::uint64_t relayed_ = 0;
};

}  // namespace sigtrust
