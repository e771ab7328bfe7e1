#include "attacks/vp8_recorder.hpp"

#include <cstdio>

#include "core/c_ptr.hpp"

namespace sigtrust::attacks {
namespace {

void le(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

constexpr std::uint32_t kRtpVideoClock = 90000;  // RFC 7741 §4.1: the RTP clock rate of VP8

}  // namespace

// RFC 7741 §4.2:
//   X R N S R PID(3)       always
//   I L T K RSV(4)         if X
//   M PictureID(7 or 15)   if I (15 bits when M)
//   TL0PICIDX(8)           if L
//   TID(2) Y KEYIDX(5)     if T or K
std::optional<Vp8Descriptor> parse_vp8_descriptor(std::span<const std::uint8_t> p) {
  if (p.empty()) return std::nullopt;
  Vp8Descriptor d;
  d.start = (p[0] & 0x10) != 0;
  d.partition = p[0] & 0x07;
  size_t at = 1;
  if (p[0] & 0x80) {
    if (p.size() < 2) return std::nullopt;
    const std::uint8_t x = p[1];
    at = 2;
    if (x & 0x80) {
      if (p.size() <= at) return std::nullopt;
      at += (p[at] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) ++at;
    if (x & 0x30) ++at;
  }
  if (at >= p.size()) return std::nullopt;  // no VP8 data after the descriptor
  d.size = at;
  return d;
}

// RFC 6386 §9.1: a 3-byte frame tag (bit 0 clear on a key frame), the start
// code 9d 01 2a, then 14-bit width and height, each with 2 bits of scaling.
std::optional<Vp8Size> vp8_key_frame_size(std::span<const std::uint8_t> f) {
  if (f.size() < 10 || (f[0] & 0x01) != 0) return std::nullopt;
  if (f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a) return std::nullopt;
  Vp8Size s;
  s.width = static_cast<std::uint16_t>((f[6] | (f[7] << 8)) & 0x3fff);
  s.height = static_cast<std::uint16_t>((f[8] | (f[9] << 8)) & 0x3fff);
  if (s.width == 0 || s.height == 0) return std::nullopt;
  return s;
}

void Vp8Depacketizer::abandon() {
  if (assembling_) {
    ++dropped_;
    skipped_timestamp_ = timestamp_;  // its later packets are not counted again
  }
  assembling_ = false;
  frame_.clear();
}

bool Vp8Depacketizer::add(std::uint16_t sequence, std::uint32_t timestamp, bool marker,
                          std::span<const std::uint8_t> payload) {
  if (payload.empty()) {  // RFC 3550 padding only (a bandwidth probe): a sequence number, no data
    if (assembling_ && sequence == next_sequence_) next_sequence_ = static_cast<std::uint16_t>(sequence + 1);
    return false;
  }
  const auto d = parse_vp8_descriptor(payload);
  const auto data = d ? payload.subspan(d->size) : payload;
  const bool begins = d && d->start && d->partition == 0;
  if (!d || (begins && data.size() < 3)) {
    ++malformed_;  // the frame it belonged to then has a gap: dropped on the next packet
    return false;
  }
  if (assembling_ && (begins || timestamp != timestamp_ || sequence != next_sequence_)) abandon();
  if (begins) {
    frame_.clear();
    assembling_ = true;
    timestamp_ = timestamp;
  } else if (!assembling_) {
    if (skipped_timestamp_ != timestamp) ++dropped_;
    skipped_timestamp_ = timestamp;
    return false;
  }
  if (frame_.size() + data.size() > kMaxFrame) {
    abandon();
    return false;
  }
  frame_.insert(frame_.end(), data.begin(), data.end());
  next_sequence_ = static_cast<std::uint16_t>(sequence + 1);
  if (!marker) return false;
  assembling_ = false;
  return true;
}

struct Vp8IvfRecorder::Impl {
  FilePtr file;
};

Vp8IvfRecorder::Vp8IvfRecorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Vp8IvfRecorder>> Vp8IvfRecorder::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->file.reset(std::fopen(path.c_str(), "wb"));
  if (!impl->file) return Error{"cannot write " + path};
  std::setvbuf(impl->file.get(), nullptr, _IOFBF, 1 << 16);  // a frame is one buffered write, not a system call
  std::unique_ptr<Vp8IvfRecorder> r(new Vp8IvfRecorder(std::move(impl)));
  r->write_header();
  return r;
}

Vp8IvfRecorder::~Vp8IvfRecorder() {
  if (impl_ && impl_->file) write_header();
}

// The 32-byte IVF file header: DKIF, version 0, header size, fourcc VP80,
// width, height, time base 1/90000 (rate, then scale), frame count, unused.
void Vp8IvfRecorder::write_header() {
  const Vp8Size s = size();
  std::vector<std::uint8_t> h = {'D', 'K', 'I', 'F'};
  le(h, 0, 2);
  le(h, 32, 2);
  for (char c : std::string("VP80")) h.push_back(static_cast<std::uint8_t>(c));
  le(h, s.width, 2);
  le(h, s.height, 2);
  le(h, kRtpVideoClock, 4);
  le(h, 1, 4);
  le(h, frames_, 4);
  le(h, 0, 4);
  std::FILE* f = impl_->file.get();
  std::fseek(f, 0, SEEK_SET);
  std::fwrite(h.data(), 1, h.size(), f);
  std::fseek(f, 0, SEEK_END);
  std::fflush(f);
}

// A 12-byte frame header (size, 64-bit timestamp in the 90 kHz RTP clock from the first frame), then the frame.
void Vp8IvfRecorder::write_frame() {
  const auto frame = depacketizer_.frame();
  const std::uint64_t size = frame.size(),
                      pts = static_cast<std::uint32_t>(depacketizer_.timestamp() - first_timestamp_);
  std::uint8_t h[12];
  for (int i = 0; i < 4; ++i) h[i] = static_cast<std::uint8_t>(size >> (8 * i));
  for (int i = 0; i < 8; ++i) h[4 + i] = static_cast<std::uint8_t>(pts >> (8 * i));
  std::FILE* f = impl_->file.get();
  std::fwrite(h, 1, sizeof h, f);
  std::fwrite(frame.data(), 1, frame.size(), f);
  ++frames_;
}

bool Vp8IvfRecorder::add(std::uint16_t sequence, std::uint32_t timestamp, bool marker,
                         std::span<const std::uint8_t> payload) {
  const auto before = malformed() + dropped();
  if (depacketizer_.add(sequence, timestamp, marker, payload)) {
    if (!key_) {
      key_ = vp8_key_frame_size(depacketizer_.frame());
      if (!key_) {
        ++before_key_frame_;
        return false;
      }
      first_timestamp_ = depacketizer_.timestamp();
      write_header();
    }
    write_frame();
  }
  return malformed() + dropped() == before;
}

}  // namespace sigtrust::attacks
