// The attacker's video recording: VP8 RTP payloads (RFC 7741) reassembled
// into frames and written as IVF. Malformed payloads and incomplete frames
// are counted and dropped; a real VP8 stream (libvpx, through Debian's
// ffmpeg) packetized as a browser would comes out frame for frame, and
// ffprobe decodes every frame of the file.
#include "attacks/vp8_recorder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sigtrust::attacks {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le(const Bytes& b, size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<size_t>(i)];
  return v;
}

// The frames of an IVF file (after the 32-byte header, each behind a 12-byte header).
std::vector<Bytes> ivf_frames(const Bytes& f) {
  std::vector<Bytes> out;
  for (size_t at = 32; at + 12 <= f.size();) {
    const size_t n = le(f, at, 4);
    if (at + 12 + n > f.size()) break;
    out.emplace_back(f.begin() + static_cast<long>(at + 12), f.begin() + static_cast<long>(at + 12 + n));
    at += 12 + n;
  }
  return out;
}

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

// A key frame tag (RFC 6386 §9.1) for 320x240, then filler.
Bytes key_frame(size_t size) {
  Bytes f = {0x50, 0x1a, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
  while (f.size() < size) f.push_back(static_cast<std::uint8_t>(f.size()));
  return f;
}

TEST(Vp8Descriptor, ReadsEveryOptionalField) {
  // X=1 S=1 PID=0; I L T K; 15-bit PictureID; TL0PICIDX; TID/KEYIDX; then VP8 data.
  const Bytes full = {0x90, 0xf0, 0x80 | 0x12, 0x34, 0x07, 0x40, 0xaa};
  auto d = parse_vp8_descriptor(full);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->start);
  EXPECT_EQ(d->partition, 0);
  EXPECT_EQ(d->size, 6u);
  // 7-bit PictureID, no other extension; a continuation of partition 3.
  d = parse_vp8_descriptor(Bytes{0x83, 0x80, 0x12, 0xbb});
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->start);
  EXPECT_EQ(d->partition, 3);
  EXPECT_EQ(d->size, 3u);
  EXPECT_EQ(parse_vp8_descriptor(Bytes{0x10, 0xcc})->size, 1u);  // no extension
}

TEST(Vp8Descriptor, RefusesEveryCutAndADescriptorWithoutData) {
  const Bytes full = {0x90, 0xf0, 0x80 | 0x12, 0x34, 0x07, 0x40, 0xaa};
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_FALSE(parse_vp8_descriptor(std::span(full).first(n))) << n << " bytes";
  EXPECT_FALSE(parse_vp8_descriptor(Bytes{0x10}));  // a descriptor, no data
}

TEST(Vp8KeyFrameSize, ReadsTheKeyFrameHeaderOnly) {
  const auto s = vp8_key_frame_size(key_frame(10));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 320);
  EXPECT_EQ(s->height, 240);
  Bytes inter = key_frame(10);
  inter[0] |= 0x01;
  EXPECT_FALSE(vp8_key_frame_size(inter));
  Bytes no_start_code = key_frame(10);
  no_start_code[4] = 0x02;
  EXPECT_FALSE(vp8_key_frame_size(no_start_code));
  const Bytes whole = key_frame(10);
  EXPECT_FALSE(vp8_key_frame_size(std::span(whole).first(9)));
}

// A payload: descriptor (S when first) then `data`.
Bytes payload(bool first, const Bytes& data) {
  Bytes p = {static_cast<std::uint8_t>(first ? 0x10 : 0x00)};
  p.insert(p.end(), data.begin(), data.end());
  return p;
}

TEST(Vp8Depacketizer, JoinsThePacketsOfOneTimestampUpToTheMarker) {
  Vp8Depacketizer d;
  const Bytes f = key_frame(30);
  EXPECT_FALSE(d.add(1, 900, false, payload(true, Bytes(f.begin(), f.begin() + 10))));
  EXPECT_FALSE(d.add(2, 900, false, payload(false, Bytes(f.begin() + 10, f.begin() + 20))));
  EXPECT_TRUE(d.add(3, 900, true, payload(false, Bytes(f.begin() + 20, f.end()))));
  EXPECT_EQ(Bytes(d.frame().begin(), d.frame().end()), f);
  EXPECT_EQ(d.timestamp(), 900u);
  EXPECT_EQ(d.malformed() + d.dropped(), 0u);
}

TEST(Vp8Depacketizer, DropsFramesWithAGapANewTimestampOrNoFirstPacket) {
  Vp8Depacketizer d;
  const Bytes part = {1, 2, 3, 4};
  EXPECT_FALSE(d.add(1, 100, false, payload(true, part)));
  EXPECT_FALSE(d.add(3, 100, true, payload(false, part)));  // 2 lost
  EXPECT_EQ(d.dropped(), 1u);
  EXPECT_FALSE(d.add(4, 100, true, payload(false, part)));  // the rest of that frame: not counted again
  EXPECT_EQ(d.dropped(), 1u);
  EXPECT_FALSE(d.add(5, 200, false, payload(true, part)));
  EXPECT_FALSE(d.add(6, 300, false, payload(true, part)));  // the timestamp changed before the marker
  EXPECT_EQ(d.dropped(), 2u);
  EXPECT_FALSE(d.add(7, 400, false, payload(false, part)));  // frame 300 cut short, 400 joined midway
  EXPECT_FALSE(d.add(8, 400, true, payload(false, part)));  // counted once
  EXPECT_EQ(d.dropped(), 4u);
  EXPECT_TRUE(d.add(9, 500, true, payload(true, part)));  // and the next whole frame still comes out
  EXPECT_EQ(d.frame().size(), part.size());
}

TEST(Vp8Depacketizer, APaddingOnlyPacketTakesItsSequenceNumberAndIsNotMalformed) {
  Vp8Depacketizer d;
  const Bytes part = {1, 2, 3, 4};
  EXPECT_FALSE(d.add(1, 100, false, payload(true, part)));
  EXPECT_FALSE(d.add(2, 100, false, Bytes{}));
  EXPECT_TRUE(d.add(3, 100, true, payload(false, part)));
  EXPECT_EQ(d.frame().size(), 2 * part.size());
  EXPECT_EQ(d.malformed() + d.dropped(), 0u);
}

TEST(Vp8Depacketizer, CountsMalformedPayloadsAndRefusesOversizedFrames) {
  Vp8Depacketizer d;
  const std::vector<Bytes> bad = {
      {0x10},       {0x90},       {0x90, 0x80},      {0x90, 0x80, 0x80},
      {0x90, 0x40}, {0x90, 0x20}, {0x10, 0x50, 0x1a}};  // the last: a first packet shorter than the frame tag
  std::uint16_t seq = 0;
  for (const auto& p : bad) EXPECT_FALSE(d.add(seq++, 7, true, p));
  EXPECT_EQ(d.malformed(), bad.size());
  const Bytes big(Vp8Depacketizer::kMaxFrame / 2 + 1, 0x42);
  EXPECT_FALSE(d.add(seq++, 8, false, payload(true, big)));
  EXPECT_FALSE(d.add(seq++, 8, true, payload(false, big)));
  EXPECT_EQ(d.dropped(), 1u);
  EXPECT_TRUE(d.frame().empty());
}

TEST(Vp8IvfRecorder, WritesNothingBeforeAKeyFrameAndAHeaderThatCountsFrames) {
  const std::string path = ::testing::TempDir() + "/sigtrust-vp8-header.ivf";
  {
    auto r = Vp8IvfRecorder::open(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    Bytes inter = key_frame(12);
    inter[0] |= 0x01;
    EXPECT_FALSE((*r)->add(1, 1000, true, payload(true, inter)));  // undecodable alone
    EXPECT_TRUE((*r)->add(2, 4000, true, payload(true, key_frame(40))));
    EXPECT_TRUE((*r)->add(3, 7000, true, payload(true, inter)));
    EXPECT_FALSE((*r)->add(4, 7000, true, Bytes{0x90}));
    EXPECT_EQ((*r)->frames(), 2u);
    EXPECT_EQ((*r)->dropped(), 1u);
    EXPECT_EQ((*r)->malformed(), 1u);
  }
  const Bytes f = read_file(path);
  ASSERT_EQ(f.size(), 32u + 12 + 40 + 12 + 12);
  EXPECT_EQ(std::string(f.begin(), f.begin() + 4), "DKIF");
  EXPECT_EQ(std::string(f.begin() + 8, f.begin() + 12), "VP80");
  EXPECT_EQ(le(f, 12, 2), 320u);
  EXPECT_EQ(le(f, 14, 2), 240u);
  EXPECT_EQ(le(f, 16, 4), 90000u);
  EXPECT_EQ(le(f, 20, 4), 1u);
  EXPECT_EQ(le(f, 24, 4), 2u);
  EXPECT_EQ(le(f, 32 + 4, 4), 0u);  // timestamps from the first key frame
  EXPECT_EQ(le(f, 32 + 12 + 40 + 4, 4), 3000u);
  std::remove(path.c_str());
}

TEST(Vp8IvfRecorder, ARealVp8StreamComesOutFrameForFrameAndFfprobeDecodesIt) {
  // scripts/install-deps installs Debian's ffmpeg (ffmpeg, ffprobe, libvpx).
  ASSERT_EQ(std::system("command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null"), 0)
      << "ffmpeg/ffprobe missing: run scripts/install-deps";
  const std::string source = ::testing::TempDir() + "/sigtrust-vp8-source.ivf";
  const std::string path = ::testing::TempDir() + "/sigtrust-vp8-recorded.ivf";
  ASSERT_EQ(std::system(("ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc=size=160x120:rate=10 "
                         "-frames:v 20 -c:v libvpx -g 8 -f ivf " +
                         source)
                            .c_str()),
            0);
  const auto frames = ivf_frames(read_file(source));
  ASSERT_EQ(frames.size(), 20u);
  {
    auto r = Vp8IvfRecorder::open(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    std::uint16_t seq = 65530;  // wraps
    std::uint32_t ts = 0xffffff00;
    for (const auto& frame : frames) {
      for (size_t at = 0; at < frame.size(); at += 100) {
        // As Chromium sends it: X, I with a 15-bit PictureID, then a slice of the frame.
        Bytes p = {static_cast<std::uint8_t>(at == 0 ? 0x90 : 0x80), 0x80, 0x80, static_cast<std::uint8_t>(seq)};
        p.insert(p.end(), frame.begin() + static_cast<long>(at),
                 frame.begin() + static_cast<long>(std::min(at + 100, frame.size())));
        EXPECT_TRUE((*r)->add(seq++, ts, at + 100 >= frame.size(), p));
      }
      EXPECT_FALSE((*r)->add(seq++, ts + 1, true, Bytes{0x80, 0x80}));  // a malformed payload between frames
      ts += 9000;
    }
    EXPECT_EQ((*r)->frames(), 20u);
    EXPECT_EQ((*r)->malformed(), 20u);
    EXPECT_EQ((*r)->dropped(), 0u);
  }
  EXPECT_EQ(ivf_frames(read_file(path)), frames);
  EXPECT_EQ(run("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                "stream=codec_name,width,height,nb_read_frames -of default=nw=1 " +
                path),
            "codec_name=vp8\nwidth=160\nheight=120\nnb_read_frames=20\n");
  std::remove(source.c_str());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace sigtrust::attacks
