// Fuzzes what the MITM bridge does with VP8 video it decrypted
// (attacks/vp8_recorder): the RFC 7741 payload descriptor, frame assembly
// across packets, the RFC 6386 key frame header and the IVF writer. An input
// is a sequence of packets:
//   per packet: a control byte (bit 0: marker; bit 1: skip a sequence number
//   before it; bit 2: a new RTP timestamp), a length byte and that many bytes.
// Properties: nothing crashes or trips a sanitizer; an accepted descriptor
// leaves VP8 data after it; every non-empty payload is either refused (and counted
// as malformed, exactly those) or taken; a frame that comes out is at most
// kMaxFrame, at least the 3-byte frame tag, and ends with the data of the
// packet that completed it; the recorder writes no more frames than came out,
// and none before a key frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "attacks/vp8_recorder.hpp"
#include "fuzz/fuzz_check.hpp"

using sigtrust::fuzz::check;
namespace a = sigtrust::attacks;

namespace {

// What the depacketizer must refuse as malformed, worked out from the descriptor alone.
bool refused(std::span<const std::uint8_t> payload, std::span<const std::uint8_t>& data) {
  if (payload.empty()) return false;  // padding only: not malformed
  const auto d = a::parse_vp8_descriptor(payload);
  if (!d) return true;
  check(d->size >= 1 && d->size <= 6 && d->size < payload.size(), "descriptor inside the payload");
  data = payload.subspan(d->size);
  return d->start && d->partition == 0 && data.size() < 3;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* in, size_t size) {
  a::Vp8Depacketizer depacketizer;
  auto recorder = a::Vp8IvfRecorder::open("/dev/null");
  check(recorder.ok(), "Vp8IvfRecorder::open /dev/null");
  std::uint16_t seq = 0;
  std::uint32_t ts = 1000;
  std::uint64_t malformed = 0, frames = 0, key_frames = 0;
  for (size_t at = 0; at + 2 <= size;) {
    const std::uint8_t control = in[at];
    const size_t n = std::min<size_t>(in[at + 1], size - at - 2);
    const std::span<const std::uint8_t> payload(in + at + 2, n);
    at += 2 + n;
    if (control & 0x02) ++seq;
    if (control & 0x04) ts += 3000;
    const bool marker = control & 0x01;
    std::span<const std::uint8_t> data;
    if (refused(payload, data)) ++malformed;
    const bool whole = depacketizer.add(seq, ts, marker, payload);
    (*recorder)->add(seq, ts, marker, payload);
    ++seq;
    check(depacketizer.malformed() == malformed, "malformed counts exactly the refused payloads");
    if (!whole) continue;
    const auto f = depacketizer.frame();
    check(f.size() >= 3 && f.size() <= a::Vp8Depacketizer::kMaxFrame, "frame size within bounds");
    check(f.size() >= data.size() && std::equal(data.begin(), data.end(), f.end() - static_cast<long>(data.size())),
          "the frame ends with the completing packet's data");
    ++frames;
    if (a::vp8_key_frame_size(f)) ++key_frames;
  }
  check((*recorder)->frames() <= frames, "no more frames written than assembled");
  check(key_frames > 0 || (*recorder)->frames() == 0, "nothing written before a key frame");
  check((*recorder)->malformed() == malformed, "the recorder counts the same malformed payloads");
  return 0;
}
