// One end of a GnuTLS DTLS 1.2 association carried over a datagram transport
// (the selected ICE pair). Non-blocking: the owner feeds datagrams in with
// receive() and the endpoint drives the handshake on each datagram and on the
// retransmission timer GnuTLS asks for.
//
// Error policy: DTLS records come from the network. Malformed, replayed or
// unexpected records are GnuTLS errors that end in on_failed (during the
// handshake) or are dropped (after it, as DTLS requires, RFC 6347 §4.1.2.7);
// nothing here asserts on peer input.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/certificate.hpp"
#include "sim/main_loop.hpp"
#include "sim/result.hpp"

namespace sigtrust {

enum class DtlsRole { Client, Server };

struct DtlsCallbacks {
  std::function<void(std::span<const std::uint8_t>)> send;         // one datagram out
  std::function<bool(std::span<const std::uint8_t> peer_der)> verify;  // accept the peer certificate?
  std::function<void()> on_connected;
  std::function<void(const std::string& reason)> on_failed;
  std::function<void(std::string_view)> on_data;
  std::function<void()> on_closed;                        // peer sent close_notify
  std::function<void(const std::string& line)> key_log;   // NSS key log lines (optional)
};

class DtlsEndpoint {
 public:
  enum class State { Idle, Handshaking, Connected, Failed, Closed };

  DtlsEndpoint(MainLoop& loop, const Certificate& cert, DtlsRole role, DtlsCallbacks callbacks);
  ~DtlsEndpoint();
  DtlsEndpoint(const DtlsEndpoint&) = delete;
  DtlsEndpoint& operator=(const DtlsEndpoint&) = delete;

  void start();                                       // the client sends its ClientHello
  void receive(std::span<const std::uint8_t> datagram);  // one datagram in
  bool send(std::string_view data);                   // one record; false if not connected
  void close();                                       // sends close_notify

  State state() const { return state_; }
  DtlsRole role() const { return role_; }
  const std::vector<std::uint8_t>& peer_certificate() const { return peer_der_; }
  std::uint64_t bytes_in() const { return bytes_in_; }

  // RFC 5705 keying material exporter (used by short authentication strings).
  Result<std::vector<std::uint8_t>> export_keying_material(std::string_view label, size_t length) const;

 private:
  struct Impl;
  friend struct Impl;
  void step();
  void fail(const std::string& reason);
  void arm_timer();
  void read_records();

  MainLoop& loop_;
  DtlsRole role_;
  DtlsCallbacks cb_;
  State state_ = State::Idle;
  std::unique_ptr<Impl> impl_;
  std::deque<std::vector<std::uint8_t>> inbox_;
  std::vector<std::uint8_t> peer_der_;
  std::uint64_t bytes_in_ = 0;
  Timer timer_;
  bool in_step_ = false;
};

std::string_view to_string(DtlsRole r);

}  // namespace sigtrust
