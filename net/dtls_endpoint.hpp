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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/certificate.hpp"
#include "net/main_loop.hpp"
#include "core/result.hpp"
#include "core/transport.hpp"

namespace sigtrust {

// DTLS-SRTP protection profiles (RFC 5764 §4.1.2) this build can negotiate.
// GnuTLS 3.7.9 implements only these (and NULL-cipher ones nobody offers):
// not SRTP_AEAD_AES_128_GCM (RFC 7714), which browsers list first. A browser
// that offers GCM and AES128_CM_HMAC_SHA1_80 agrees on the latter.
enum class SrtpProfile : std::uint16_t {
  Aes128CmHmacSha1_80 = 0x0001,
  Aes128CmHmacSha1_32 = 0x0002,
};

std::string_view to_string(SrtpProfile p);  // the RFC 5764 name, e.g. "SRTP_AES128_CM_HMAC_SHA1_80"

// What browsers offer that GnuTLS can do, in a browser's order of preference.
const std::vector<SrtpProfile>& browser_srtp_profiles();

struct DtlsOptions {
  // RFC 5764 use_srtp: every WebRTC DTLS handshake carries it, and several
  // stacks abort one without it even for a data channel only. As client the
  // endpoint offers these; as server it selects the first profile the client
  // offered that is among these (GnuTLS honours the client's order), and
  // answers a client that offers none (or none of these) without use_srtp.
  // Empty: no use_srtp at all (a data-channel-only peer of the old kind).
  std::vector<SrtpProfile> srtp_profiles = browser_srtp_profiles();
  // Client only, for an attacker that grinds the exporter (sas-grind-mitm):
  // the flight that follows the server's first flight (Certificate,
  // ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished) is held
  // back instead of sent, and on_flight_held is called; grind() then decides
  // which key share goes out.
  bool hold_key_exchange = false;
};

// What grind() did.
struct GrindResult {
  bool found = false;  // a try's exporter was accepted, and its flight went out
  std::uint64_t tries = 0;  // key shares tried (the first is the session's own)
  double seconds = 0;  // wall time spent trying
  std::string error;  // why the grind stopped early (empty if it ran to the end)
};

// RFC 5764 §4.2: the SRTP master keys and salts from the exporter
// "EXTRACTOR-dtls_srtp", split per direction.
struct SrtpKeys {
  SrtpProfile profile{};
  std::vector<std::uint8_t> client_key, client_salt, server_key, server_salt;
};

struct DtlsCallbacks {
  std::function<void(std::span<const std::uint8_t>)> send;  // one datagram out
  std::function<bool(std::span<const std::uint8_t> peer_der)> verify;  // accept the peer certificate?
  std::function<void()> on_connected;
  std::function<void(const std::string& reason)> on_failed;
  std::function<void(std::string_view)> on_data;
  std::function<void()> on_closed;  // peer sent close_notify
  std::function<void(const std::string& line)> key_log;  // NSS key log lines (optional)
  std::function<void()> on_flight_held;  // hold_key_exchange: the flight is held
};

class DtlsEndpoint {
 public:
  enum class State { Idle, Handshaking, Connected, Failed, Closed };

  DtlsEndpoint(MainLoop& loop, const Certificate& cert, DtlsRole role, DtlsCallbacks callbacks,
               const DtlsOptions& options = {});
  ~DtlsEndpoint();
  DtlsEndpoint(const DtlsEndpoint&) = delete;
  DtlsEndpoint& operator=(const DtlsEndpoint&) = delete;

  void start();  // the client sends its ClientHello
  void receive(std::span<const std::uint8_t> datagram);  // one datagram in
  bool send(std::string_view data);  // one record; false if not connected
  void close();  // sends close_notify

  State state() const { return state_; }
  DtlsRole role() const { return role_; }
  const std::vector<std::uint8_t>& peer_certificate() const { return peer_der_; }
  std::uint64_t bytes_in() const { return bytes_in_; }

  // The profile use_srtp settled on; none if the peer offered or answered
  // without use_srtp, or before the handshake completed.
  std::optional<SrtpProfile> srtp_profile() const;
  // The SRTP keying material of the negotiated profile (RFC 5764 §4.2).
  Result<SrtpKeys> srtp_keys() const;

  // RFC 5705 keying material exporter (used by short authentication strings).
  Result<std::vector<std::uint8_t>> export_keying_material(std::string_view label, size_t length) const;

  // With hold_key_exchange, once on_flight_held was called: search for a key
  // share whose RFC 5705 exporter (`label`, `length` bytes) `accept` takes.
  // DTLS 1.2 has no commitment step: the client sees the server's random,
  // ECDHE share and signature before it picks its own share, so each try is a
  // fresh GnuTLS client session forced to the same client random
  // (gnutls_handshake_set_random), which must send a ClientHello byte for
  // byte the one the server answered (else the try is abandoned), fed the
  // server's recorded flight; its own flight is held, and GnuTLS's exporter,
  // computable once the master secret exists, is offered to `accept`. The
  // first accepted try's flight is sent and its session carries on; after
  // `budget` tries the session's own first flight goes out instead. Runs in
  // slices on the loop (the loop stays responsive); `done` is called once.
  void grind(std::string label, size_t length, std::function<bool(const std::vector<std::uint8_t>&)> accept,
             std::uint64_t budget, std::function<void(const GrindResult&)> done);
  bool flight_held() const { return held_; }

 private:
  struct Impl;
  friend struct Impl;
  void step();
  void fail(const std::string& reason);
  void arm_timer();
  void read_records();
  void release_held(std::vector<std::vector<std::uint8_t>> flight);
  void grind_slice();

  MainLoop& loop_;
  DtlsRole role_;
  DtlsCallbacks cb_;
  State state_ = State::Idle;
  std::unique_ptr<Impl> impl_;
  const Certificate& cert_;  // outlives the endpoint (its credentials are GnuTLS's too)
  DtlsOptions options_;
  std::deque<std::vector<std::uint8_t>> inbox_;
  std::vector<std::uint8_t> peer_der_;
  std::uint64_t bytes_in_ = 0;
  Timer timer_;
  bool in_step_ = false;
  // Set when GnuTLS asked for a datagram and none was queued: its
  // GNUTLS_E_AGAIN then means "nothing more to read", not "record dropped".
  bool starved_ = false;
  // hold_key_exchange: what the exporter search replays.
  bool hold_ = false, held_ = false, grinding_ = false;
  std::vector<std::uint8_t> client_hello_;  // the first ClientHello datagram sent
  std::vector<std::vector<std::uint8_t>> server_flight_;  // every datagram received before the hold
  std::vector<std::vector<std::uint8_t>> held_flight_;  // the session's own held flight
  struct Grind;
  std::unique_ptr<Grind> grind_;
};

}  // namespace sigtrust
