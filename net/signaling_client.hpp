// A WebSocket client of the signaling relay (libsoup 3), on the run's main
// context. Peers use it to send and receive signaling messages.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/main_loop.hpp"

namespace sigtrust {

struct SignalingClientCallbacks {
  std::function<void()> on_open;
  std::function<void(const std::string& text)> on_message;
  std::function<void(const std::string& reason)> on_closed;  // also on connect failure
};

class SignalingClient {
 public:
  // Must be constructed while the loop's context is thread-default (libsoup
  // sessions bind to it).
  SignalingClient(MainLoop& loop, std::string url, SignalingClientCallbacks callbacks);
  ~SignalingClient();
  SignalingClient(const SignalingClient&) = delete;
  SignalingClient& operator=(const SignalingClient&) = delete;

  void connect();
  bool send(const std::string& text);
  void close();
  bool open() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust
