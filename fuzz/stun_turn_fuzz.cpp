// Fuzzes the malicious STUN and TURN nodes (attacks/turn_node, attacks/stun_node) the way the
// network reaches them: each input is one UDP datagram sent from a loopback socket to a real
// node, whose main context is then run until it has handled it. The first byte picks the node
// (even: TURN, odd: STUN); the rest is the datagram. Property: nothing crashes, hangs or trips a
// sanitizer, and the node still answers a well-formed Binding request afterwards (it keeps
// serving).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "attacks/stun_node.hpp"
#include "attacks/turn_node.hpp"
#include "fuzz/fuzz_check.hpp"
#include "net/main_loop.hpp"
#include "core/timeline.hpp"

namespace {

using namespace sigtrust;

struct Nodes {
  MainLoop loop;
  MainLoop::ThreadDefault td{loop};
  Timeline timeline;
  attacks::TurnNode turn{loop, "127.0.0.1", attacks::TurnCredentials{"peer", "pw", "sigtrust"}, timeline};
  attacks::LyingStunNode stun{loop, "127.0.0.1", timeline};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  ~Nodes() { close(fd); }
  Nodes() {
    sockaddr_in me{};
    me.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
    bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof(me));
  }

  void send_to(std::uint16_t port, const std::uint8_t* data, std::size_t size) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    sendto(fd, data, size, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    // Let the node read and answer; then drop whatever came back.
    for (int i = 0; i < 4; ++i) g_main_context_iteration(loop.context(), FALSE);
    std::uint8_t sink[2048];
    while (recv(fd, sink, sizeof(sink), 0) > 0) {}
  }
};

// The nodes keep state across inputs, as on the network; they are made anew
// every so many inputs because their timeline (one event per lie told) grows
// with every Binding request, which a run bounds but a fuzzing session does not.
Nodes& nodes() {
  static std::unique_ptr<Nodes> n;
  static unsigned inputs = 0;
  if (!n || ++inputs % 20000 == 0) {
    n.reset();
    n = std::make_unique<Nodes>();
  }
  return *n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  Nodes& n = nodes();
  const std::uint16_t port = (data[0] & 1) ? n.stun.port() : n.turn.port();
  n.send_to(port, data + 1, size - 1);
  sigtrust::fuzz::check(n.turn.port() != 0 && n.stun.port() != 0, "nodes keep their sockets");
  return 0;
}
