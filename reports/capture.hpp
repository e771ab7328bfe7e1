// A pcap capture of what a run sent on the loopback interface: STUN and ICE
// checks, DTLS, TURN and the WebSocket signaling, filtered to the run's own
// network ("127.a.b.0/24"), so Wireshark shows the whole story. The only
// place libpcap is used.
//
// Several runs (one after another, or concurrently on different networks)
// may share one file. Capturing needs CAP_NET_RAW; without it start()
// returns the reason and the caller carries on without a capture.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace sigtrust::reports {

class Capture {
 public:
  // Nothing is opened until the first successful start(): a process that
  // cannot capture leaves no empty file behind.
  explicit Capture(std::string path, std::string interface = "lo");
  ~Capture();  // stops every capture still running and closes the file
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // Starts capturing packets to or from `network` ("127.a.b.0/24") and
  // returns once the capture is live, so nothing the run sends afterwards is
  // missed. Returns "" on success, else why capturing is not possible
  // (missing privileges, no such interface, a file that cannot be written).
  std::string start(const std::string& network);

  // Lets the packets still in flight arrive (`drain`), then stops capturing
  // `network` and flushes the file.
  void stop(const std::string& network, std::chrono::milliseconds drain = std::chrono::milliseconds(50));

  const std::string& path() const;
  bool opened() const;  // the file was created
  std::uint64_t packets() const;  // packets written so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust::reports
