#include "attacks/media_recorder.hpp"

#include <opus.h>

#include <cstdio>
#include <vector>

#include "core/c_ptr.hpp"

namespace sigtrust::attacks {
namespace {

constexpr int kRate = 48000, kChannels = 2;
constexpr int kMaxFrame = 5760;  // RFC 6716 §2: 120 ms at 48 kHz, the longest Opus packet

void le(std::vector<std::uint8_t>& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

struct OpusWavRecorder::Impl {
  CPtr<OpusDecoder, opus_decoder_destroy> decoder;
  FilePtr file;
  std::vector<opus_int16> pcm = std::vector<opus_int16>(kMaxFrame * kChannels);
};

OpusWavRecorder::OpusWavRecorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<OpusWavRecorder>> OpusWavRecorder::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  int err = OPUS_OK;
  impl->decoder.reset(opus_decoder_create(kRate, kChannels, &err));
  if (err != OPUS_OK || !impl->decoder) return Error{std::string("libopus decoder: ") + opus_strerror(err)};
  impl->file.reset(std::fopen(path.c_str(), "wb"));
  if (!impl->file) return Error{"cannot write " + path};
  std::unique_ptr<OpusWavRecorder> r(new OpusWavRecorder(std::move(impl)));
  r->write_header();
  return r;
}

OpusWavRecorder::~OpusWavRecorder() {
  if (impl_ && impl_->file) write_header();
}

// RIFF/WAVE with one PCM fmt chunk and one data chunk; sizes from what was written.
void OpusWavRecorder::write_header() {
  const std::uint32_t data_bytes = static_cast<std::uint32_t>(samples_ * kChannels * 2);
  std::vector<std::uint8_t> h;
  for (char c : std::string("RIFF")) h.push_back(static_cast<std::uint8_t>(c));
  le(h, 36 + data_bytes, 4);
  for (char c : std::string("WAVEfmt ")) h.push_back(static_cast<std::uint8_t>(c));
  le(h, 16, 4);
  le(h, 1, 2);  // PCM
  le(h, kChannels, 2);
  le(h, kRate, 4);
  le(h, kRate * kChannels * 2, 4);
  le(h, kChannels * 2, 2);
  le(h, 16, 2);
  for (char c : std::string("data")) h.push_back(static_cast<std::uint8_t>(c));
  le(h, data_bytes, 4);
  std::FILE* f = impl_->file.get();
  std::fseek(f, 0, SEEK_SET);
  std::fwrite(h.data(), 1, h.size(), f);
  std::fseek(f, 0, SEEK_END);
  std::fflush(f);
}

bool OpusWavRecorder::add(std::span<const std::uint8_t> packet) {
  auto& pcm = impl_->pcm;
  int n = packet.empty() || packet.size() > 1500
              ? OPUS_INVALID_PACKET
              : opus_decode(impl_->decoder.get(), packet.data(), static_cast<opus_int32>(packet.size()), pcm.data(),
                            kMaxFrame, 0);
  const bool ok = n > 0;
  if (!ok) {
    ++undecodable_;
    // Packet loss concealment keeps the timeline: what a receiver would play.
    n = opus_decode(impl_->decoder.get(), nullptr, 0, pcm.data(), 960, 0);
    if (n <= 0) return false;
  }
  std::fwrite(pcm.data(), sizeof(opus_int16), static_cast<size_t>(n) * kChannels, impl_->file.get());
  samples_ += static_cast<std::uint64_t>(n);
  return ok;
}

std::string safe_file_part(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 40))
    out += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ? c : '_';
  return out.empty() ? "_" : out;
}

}  // namespace sigtrust::attacks
