// The audio of a simulated call: a sine tone of one frequency, encoded by
// libopus in 20 ms frames and carried as RTP (RFC 3550) with one Opus packet
// per payload (RFC 7587: 48 kHz RTP clock). A virtual peer whose session asks
// for media sends it over SRTP (net/srtp_session.hpp), so a run shows what an
// attacker in the middle hears: the bridge's recording of each direction has
// the sender's tone as its dominant frequency.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.hpp"

namespace sigtrust {

// What the SDP of a virtual peer's audio says (a=rtpmap:111 opus/48000/2, as browsers write it).
inline constexpr std::uint8_t kOpusPayloadType = 111;
inline constexpr int kOpusFrameMs = 20;

class OpusTone {
 public:
  static Result<OpusTone> make(double hz, std::uint32_t ssrc);
  OpusTone(OpusTone&&) noexcept;
  OpusTone& operator=(OpusTone&&) noexcept;
  ~OpusTone();

  // The next 20 ms of the tone as one unprotected RTP packet.
  Result<std::vector<std::uint8_t>> next_packet();
  std::uint32_t ssrc() const { return ssrc_; }

 private:
  struct Impl;
  OpusTone(std::unique_ptr<Impl> impl, double hz, std::uint32_t ssrc);
  std::unique_ptr<Impl> impl_;
  double hz_;
  std::uint32_t ssrc_;
  double phase_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t timestamp_ = 0;
};

}  // namespace sigtrust
