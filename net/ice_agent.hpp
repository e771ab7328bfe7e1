// A libnice ICE agent (RFC 8445 mode, non-reliable, UDP only) bound to one
// loopback address. Candidates cross this boundary as sdp::Candidate, so no
// libnice type appears outside ice_agent.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/main_loop.hpp"
#include "core/result.hpp"
#include "core/transport.hpp"
#include "core/sdp.hpp"

namespace sigtrust {

// A STUN or TURN server the agent gathers from (on loopback).
struct IceServer {
  std::string address;  // dotted IPv4
  std::uint16_t port = 0;
  std::string username, password;  // TURN long-term credentials (RFC 8489 §9.2)
};

struct IceOptions {
  std::string local_address;  // a 127.0.0.0/8 address; the only one the agent may use
  bool controlling = false;  // RFC 8445 §6.1.1: the offerer's agent controls
  std::optional<IceServer> stun;
  std::optional<IceServer> turn;  // TURN over UDP (RFC 8656)
  bool relay_only = false;  // gather and use relayed candidates only (libnice force-relay)
};

struct LocalIce {
  std::string ufrag, pwd;
  std::vector<sdp::Candidate> candidates;
};

enum class IceState { New, Gathering, Connecting, Connected, Ready, Failed };
std::string_view to_string(IceState s);

struct IceCallbacks {
  std::function<void(const LocalIce&)> on_gathered;
  std::function<void(IceState)> on_state;
  std::function<void(const SelectedPair&)> on_ready;  // a pair is selected: DTLS may start
  std::function<void(std::span<const std::uint8_t>)> on_datagram;
  // The peer's first connectivity check arrived (libnice's
  // initial-binding-request-received; its USERNAME names this agent's ufrag,
  // so the peer has read this agent's SDP), whether or not this agent has the
  // peer's credentials yet.
  std::function<void()> on_first_check;
};

class IceAgent {
 public:
  // Throws IceAgent::Failure if libnice cannot set up the agent (a simulator failure).
  IceAgent(MainLoop& loop, IceOptions options, IceCallbacks callbacks);
  ~IceAgent();
  IceAgent(const IceAgent&) = delete;
  IceAgent& operator=(const IceAgent&) = delete;

  struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  void gather();
  // Remote credentials and candidates from the peer's SDP. Returns how many
  // candidates libnice accepted; input from the network, so any of it may be
  // rejected (an error, never a crash).
  Result<int> set_remote(const std::string& ufrag, const std::string& pwd,
                         const std::vector<sdp::Candidate>& candidates);
  bool send(std::span<const std::uint8_t> datagram);
  // Releases TURN allocations (Refresh with lifetime 0, RFC 8656 §7) and
  // closes the sockets; `done` runs on the loop when finished. The agent's
  // context must be the thread-default one (libnice completes there).
  void close_async(std::function<void()> done);
  std::optional<SelectedPair> selected_pair() const;
  IceState state() const { return state_; }
  const IceOptions& options() const { return options_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  IceOptions options_;
  IceCallbacks cb_;
  IceState state_ = IceState::New;
  // Set by close_async: from then on nothing is sent through the agent.
  // libnice 0.1.21 aborts (udp-bsd.c: assertion sock->priv != NULL) on a send
  // to a socket it has shut; a DTLS retransmission timer firing while the
  // engine releases TURN allocations is the path that can do that (an abort
  // of this kind was seen once in 30 sanitizer repetitions of the attack tests).
  bool closing_ = false;
};

}  // namespace sigtrust
