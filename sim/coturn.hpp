// coturn (turnserver), started by sigtrust as a child process on loopback:
// the honest STUN/TURN node. It listens and relays only on the address it is
// given, with long-term credentials generated per start and a private working
// directory; it dies with sigtrust (see child_processes.hpp).
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "net/ice_agent.hpp"
#include "core/result.hpp"

namespace sigtrust {

class Coturn {
 public:
  // Starts turnserver on `address` and waits until it answers a STUN Binding
  // request (RFC 8489), at most `startup_ms`.
  static Result<std::unique_ptr<Coturn>> start(const std::string& address, int startup_ms = 3000);
  ~Coturn();
  Coturn(const Coturn&) = delete;
  Coturn& operator=(const Coturn&) = delete;

  // As a STUN and a TURN server for libnice.
  IceServer server() const { return server_; }
  pid_t pid() const { return pid_; }
  const std::string& directory() const { return dir_; }

 private:
  Coturn() = default;
  IceServer server_;
  pid_t pid_ = -1;
  std::string dir_;
};

// One coturn shared by every run of a process (a whole matrix), started on
// first use. Thread-safe. Call get() first from the main thread: the child's
// parent-death signal follows the thread that forked it.
class CoturnService {
 public:
  explicit CoturnService(std::string address = "127.0.0.1") : address_(std::move(address)) {}
  Result<IceServer> get();

 private:
  std::mutex mu_;
  std::string address_;
  std::unique_ptr<Coturn> coturn_;
  std::string failure_;
};

}  // namespace sigtrust
