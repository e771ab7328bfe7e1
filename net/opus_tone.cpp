#include "net/opus_tone.hpp"

#include <opus/opus.h>

#include <array>
#include <cmath>
#include <numbers>
#include <string>

#include "core/c_ptr.hpp"

namespace sigtrust {
namespace {

constexpr int kRate = 48000;
constexpr int kFrameSamples = kRate * kOpusFrameMs / 1000;  // 960
using EncoderPtr = CPtr<OpusEncoder, opus_encoder_destroy>;

}  // namespace

struct OpusTone::Impl {
  EncoderPtr encoder;
};

OpusTone::OpusTone(std::unique_ptr<Impl> impl, double hz, std::uint32_t ssrc)
    : impl_(std::move(impl)), hz_(hz), ssrc_(ssrc) {}
OpusTone::OpusTone(OpusTone&&) noexcept = default;
OpusTone& OpusTone::operator=(OpusTone&&) noexcept = default;
OpusTone::~OpusTone() = default;

Result<OpusTone> OpusTone::make(double hz, std::uint32_t ssrc) {
  if (!(hz >= 20 && hz <= 20000)) return Error{"tone frequency must be 20 to 20000 Hz"};
  int err = OPUS_OK;
  EncoderPtr enc(opus_encoder_create(kRate, 1, OPUS_APPLICATION_AUDIO, &err));
  if (err != OPUS_OK || !enc) return Error{std::string("libopus: cannot create an encoder: ") + opus_strerror(err)};
  opus_encoder_ctl(enc.get(), OPUS_SET_BITRATE(32000));
  auto impl = std::make_unique<Impl>();
  impl->encoder = std::move(enc);
  return OpusTone(std::move(impl), hz, ssrc);
}

Result<std::vector<std::uint8_t>> OpusTone::next_packet() {
  std::array<opus_int16, kFrameSamples> pcm{};
  const double step = 2 * std::numbers::pi * hz_ / kRate;
  for (auto& s : pcm) {
    s = static_cast<opus_int16>(std::lround(0.3 * 32767 * std::sin(phase_)));
    phase_ = std::fmod(phase_ + step, 2 * std::numbers::pi);
  }
  std::vector<std::uint8_t> packet(12 + 1500);
  const opus_int32 n = opus_encode(impl_->encoder.get(), pcm.data(), kFrameSamples, packet.data() + 12, 1500);
  if (n < 0) return Error{std::string("libopus: encoding failed: ") + opus_strerror(n)};
  packet.resize(12 + static_cast<size_t>(n));
  // RFC 3550 §5.1: V=2, no padding, extension or CSRC; the marker on the first packet of the talkspurt.
  packet[0] = 0x80;
  packet[1] = static_cast<std::uint8_t>((sequence_ == 0 ? 0x80 : 0) | kOpusPayloadType);
  packet[2] = static_cast<std::uint8_t>(sequence_ >> 8);
  packet[3] = static_cast<std::uint8_t>(sequence_);
  for (int i = 0; i < 4; ++i) {
    packet[4 + i] = static_cast<std::uint8_t>(timestamp_ >> (24 - 8 * i));
    packet[8 + i] = static_cast<std::uint8_t>(ssrc_ >> (24 - 8 * i));
  }
  ++sequence_;
  timestamp_ += kFrameSamples;
  return packet;
}

}  // namespace sigtrust
