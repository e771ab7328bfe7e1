#include "sim/coturn.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stun/usages/bind.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "sim/child_processes.hpp"

namespace sigtrust {
namespace {

std::string random_token(size_t n) {
  static const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[rd() % 36];
  return s;
}

// A port free on `address` right now (coturn needs one on its command line).
std::uint16_t free_udp_port(const std::string& address) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  socklen_t len = sizeof(sa);
  std::uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

// One Binding request (RFC 8489 §6) built and checked with libnice's STUN
// library, on our own socket with a short wait: coturn answers within tens
// of milliseconds of starting, and libnice's blocking helper waits far longer.
bool answers_binding(const std::string& address, std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in srv{};
  srv.sin_family = AF_INET;
  srv.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &srv.sin_addr);
  StunAgent agent;
  static const uint16_t known[] = {STUN_ATTRIBUTE_MAPPED_ADDRESS, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                   STUN_ATTRIBUTE_ERROR_CODE, STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, 0};
  stun_agent_init(&agent, known, STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_USE_FINGERPRINT);
  StunMessage req;
  uint8_t buf[STUN_MAX_MESSAGE_SIZE];
  const size_t len = stun_usage_bind_create(&agent, &req, buf, sizeof(buf));
  bool ok = false;
  if (len > 0 && sendto(fd, buf, len, 0, reinterpret_cast<sockaddr*>(&srv), sizeof(srv)) == static_cast<ssize_t>(len)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) == 1) {
      uint8_t in[STUN_MAX_MESSAGE_SIZE];
      const ssize_t n = recv(fd, in, sizeof(in), 0);
      StunMessage res;
      if (n > 0 &&
          stun_agent_validate(&agent, &res, in, static_cast<size_t>(n), nullptr, nullptr) == STUN_VALIDATION_SUCCESS) {
        sockaddr_storage mapped{}, alternate{};
        socklen_t mapped_len = sizeof(mapped), alternate_len = sizeof(alternate);
        ok = stun_usage_bind_process(&res, reinterpret_cast<sockaddr*>(&mapped), &mapped_len,
                                     reinterpret_cast<sockaddr*>(&alternate),
                                     &alternate_len) == STUN_USAGE_BIND_RETURN_SUCCESS;
      }
    }
  }
  close(fd);
  return ok;
}

}  // namespace

Result<std::unique_ptr<Coturn>> Coturn::start(const std::string& address, int startup_ms) {
  // Named here: a missing program would otherwise show only as a server that never answered.
  if (find_program("turnserver").empty())
    return Error{
        "turnserver (coturn) is not on PATH, and this run needs it for STUN/TURN: install coturn "
        "(apt-get install coturn, or scripts/install-deps); 'sigtrust doctor' checks what runs need"};
  std::unique_ptr<Coturn> c(new Coturn);
  char tmpl[] = "/tmp/sigtrust-coturn-XXXXXX";
  if (!mkdtemp(tmpl)) return Error{"coturn: cannot make a working directory"};
  c->dir_ = tmpl;
  c->server_.address = address;
  c->server_.username = "u" + random_token(8);
  c->server_.password = random_token(24);
  const std::string realm = "sigtrust";
  for (int attempt = 0; attempt < 5 && c->pid_ < 0; ++attempt) {
    c->server_.port = free_udp_port(address);
    if (c->server_.port == 0) return Error{"coturn: no free port on " + address};
    // Loopback only: listen and relay on `address`; no TLS/DTLS listeners, no
    // CLI port, no TCP relay (the measured set-up is in docs/architecture.md, measured facts).
    const std::vector<std::string> argv = {"turnserver",
                                           "-n",
                                           "--listening-ip=" + address,
                                           "--listening-port=" + std::to_string(c->server_.port),
                                           "--relay-ip=" + address,
                                           "--lt-cred-mech",
                                           "--user=" + c->server_.username + ":" + c->server_.password,
                                           "--realm=" + realm,
                                           "--no-tls",
                                           "--no-dtls",
                                           "--no-tcp-relay",
                                           "--allow-loopback-peers",
                                           "--no-cli",
                                           "--no-multicast-peers",
                                           "--userdb=" + c->dir_ + "/turndb",
                                           "--pidfile=" + c->dir_ + "/turnserver.pid",
                                           "--log-file=stdout",
                                           "--simple-log",
                                           "--no-software-attribute"};
    auto pid = spawn_child(argv, c->dir_ + "/turnserver.log");
    if (!pid) return Error{"coturn: " + pid.error().message};
    c->pid_ = *pid;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(startup_ms);
    bool up = false;
    while (!up && std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(c->pid_, &status, WNOHANG) == c->pid_) break;  // it exited (e.g. the port was taken)
      up = answers_binding(address, c->server_.port);
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!up) {
      reap_child(c->pid_, 50);
      c->pid_ = -1;
    }
  }
  if (c->pid_ < 0) {
    std::string log;
    std::ifstream in(c->dir_ + "/turnserver.log");
    std::getline(in, log, '\0');
    return Error{"coturn did not answer STUN on " + address + " (log: " + log.substr(0, 300) + ")"};
  }
  return c;
}

Coturn::~Coturn() {
  reap_child(pid_);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

Result<IceServer> CoturnService::get() {
  std::lock_guard lock(mu_);
  if (coturn_) return coturn_->server();
  if (!failure_.empty()) return Error{failure_};
  auto c = Coturn::start(address_);
  if (!c) {
    failure_ = c.error().message;
    return Error{failure_};
  }
  coturn_ = std::move(*c);
  return coturn_->server();
}

}  // namespace sigtrust
