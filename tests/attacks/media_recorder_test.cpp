// The attacker's recording: Opus payloads decoded with libopus into a WAV
// file whose header matches what was written; payloads libopus refuses are
// counted and stand as 20 ms of concealment.
#include "attacks/media_recorder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sigtrust::attacks {
namespace {

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const std::vector<std::uint8_t>& b, size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (std::uint32_t{b[at + 3]} << 24);
}

TEST(OpusWavRecorder, WritesAValidWavFileOfWhatItDecoded) {
  const std::string path = ::testing::TempDir() + "/sigtrust-recorder-test.wav";
  {
    auto r = OpusWavRecorder::open(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    // RFC 6716 §3.1: TOC 0xF8 is a 20 ms fullband CELT frame, mono, one frame.
    const std::vector<std::uint8_t> frame = {0xF8, 0xFF, 0xFE};
    for (int i = 0; i < 5; ++i) EXPECT_TRUE((*r)->add(frame));
    // Malformed payloads from the network: empty, a code-3 packet with no frame count, oversized.
    EXPECT_FALSE((*r)->add(std::vector<std::uint8_t>{}));
    EXPECT_FALSE((*r)->add(std::vector<std::uint8_t>{0x03}));
    EXPECT_FALSE((*r)->add(std::vector<std::uint8_t>(4000, 0x55)));
    EXPECT_EQ((*r)->undecodable(), 3u);
    EXPECT_EQ((*r)->samples(), 8u * 960u);  // 5 frames + 3 concealed, 20 ms each
  }
  const auto wav = read_file(path);
  ASSERT_GE(wav.size(), 44u);
  EXPECT_EQ(std::string(wav.begin(), wav.begin() + 4), "RIFF");
  EXPECT_EQ(std::string(wav.begin() + 8, wav.begin() + 16), "WAVEfmt ");
  EXPECT_EQ(le32(wav, 4), wav.size() - 8);
  EXPECT_EQ(le32(wav, 24), 48000u);
  EXPECT_EQ(le32(wav, 40), wav.size() - 44);
  EXPECT_EQ(wav.size() - 44, 8u * 960u * 2u * 2u);
  std::remove(path.c_str());
}

TEST(OpusWavRecorder, AnUnwritablePathIsAnError) { EXPECT_FALSE(OpusWavRecorder::open("/nonexistent-dir/x.wav").ok()); }

TEST(SafeFilePart, KeepsOnlyHarmlessCharacters) {
  EXPECT_EQ(safe_file_part("alice"), "alice");
  EXPECT_EQ(safe_file_part("../../etc/passwd"), "______etc_passwd");
  EXPECT_EQ(safe_file_part(""), "_");
  EXPECT_EQ(safe_file_part(std::string(100, 'a')).size(), 40u);
}

}  // namespace
}  // namespace sigtrust::attacks
