// A virtual WebRTC peer: a signaling client, a libnice agent, a GnuTLS DTLS
// endpoint and a trust policy, driven by one main loop. It offers or answers
// with complete (non-trickled) SDP in the shape browsers use for a data
// channel, takes its DTLS role from a=setup (RFC 5763 §5), checks the peer
// certificate with its trust policy, then exchanges its messages as DTLS
// application data.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/certificate.hpp"
#include "net/dtls_endpoint.hpp"
#include "net/ice_agent.hpp"
#include "net/main_loop.hpp"
#include "net/opus_tone.hpp"
#include "net/srtp_session.hpp"
#include "core/sdp.hpp"
#include "net/signaling_client.hpp"
#include "core/signaling_message.hpp"
#include "core/run_result.hpp"
#include "core/timeline.hpp"
#include "trust/trust_policy.hpp"

namespace sigtrust {

struct PeerConfig {
  std::string name;
  std::string counterpart;  // the peer it means to talk to
  bool offerer = false;
  std::string address;  // its loopback address
  std::optional<IceServer> stun, turn;  // the STUN/TURN servers it gathers from
  bool relay_only = false;  // ICE policy 'relay'
  bool behind_nat = false;  // host candidates unreachable: not advertised
  std::string relay_url;  // ws://host:port/room?peer=name
  std::vector<std::string> trust;
  TrustContext trust_context;  // what its trust policy may consult (self/intended filled in by the peer)
  std::vector<std::string> outgoing;  // application messages it sends, in order
  size_t expected_incoming = 0;  // how many it waits for
  std::function<void(const std::string&)> key_log;  // NSS key log sink (optional)
  // A call (the session's `media: [audio]`): once in the data phase it sends
  // this tone as Opus over SRTP (kTonePackets packets, one each 20 ms).
  std::optional<double> tone_hz;
};

// How many 20 ms packets of its tone a peer in a call sends (half a second),
// and how long after its last it waits for the other side's still missing.
inline constexpr std::uint64_t kTonePackets = 25;
inline constexpr std::chrono::milliseconds kMediaDrain{1000};

class Peer {
 public:
  Peer(MainLoop& loop, const Certificate& cert, PeerConfig config, Timeline& timeline);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  void start();
  bool failed() const { return report_.state == PeerState::Failed || report_.state == PeerState::Closed; }
  // Nothing more will happen on its side: failed, hung up, or sent and received everything.
  bool settled() const;
  // What it is still waiting for (for the deadline's timeline entry).
  std::string waiting_for() const;
  const PeerReport& report() const { return report_; }
  // Releases its ICE resources (TURN allocations) before teardown; `done` runs when finished.
  void close_ice(std::function<void()> done);
  const PeerConfig& config() const { return config_; }

 private:
  void on_signaling(const std::string& text);
  void maybe_send_offer();
  void handle_remote_description(const std::string& sdp_text, bool is_offer);
  void send_description();
  void on_ice_ready(const SelectedPair& pair);
  void on_datagram(std::span<const std::uint8_t> d);
  void create_dtls();
  bool verify(std::span<const std::uint8_t> der);
  void on_dtls_connected();
  void enter_data_phase();
  void maybe_done();
  void key_media();
  void send_media();
  void on_media(std::span<const std::uint8_t> d);
  void reject_media(const std::string& why);
  bool media_settled() const;
  void record_verdict(const TrustVerdict& v, const char* stage);
  void fail(const std::string& why);
  void event(const std::string& kind, const std::string& text, nlohmann::json data = nullptr);

  MainLoop& loop_;
  const Certificate& cert_;
  PeerConfig config_;
  Timeline& timeline_;
  PeerReport report_;
  std::unique_ptr<TrustPolicy> trust_;
  std::unique_ptr<SignalingClient> signaling_;
  std::unique_ptr<IceAgent> ice_;
  std::unique_ptr<DtlsEndpoint> dtls_;
  std::optional<LocalIce> local_ice_;
  std::optional<sdp::Session> remote_sdp_;
  std::optional<sdp::TransportInfo> remote_;
  std::optional<std::string> pending_offer_;
  bool joined_ = false;  // its signaling connection is open
  bool remote_ready_ = false;
  bool description_sent_ = false;
  bool ice_ready_ = false;
  std::vector<std::vector<std::uint8_t>> early_in_, early_out_;
  std::vector<std::string> held_;  // data received while the users compare
  std::uint64_t session_id_ = 0;
  // A call: its tone, SRTP each way (RFC 5764, keyed from its DTLS), what
  // arrived before the keys, and the timer that paces the tone.
  std::optional<OpusTone> tone_;
  std::optional<SrtpContext> srtp_in_, srtp_out_;
  std::vector<std::vector<std::uint8_t>> early_media_;
  Timer media_timer_;
  bool media_off_ = false;  // no media after all (no DTLS-SRTP, or the tone failed): nothing to wait for
  bool media_drained_ = false;  // kMediaDrain after its last packet passed
  std::uint64_t media_tried_ = 0;  // packets of its tone handed to ICE (media_sent: those ICE took)
};

}  // namespace sigtrust
