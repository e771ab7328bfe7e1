// The tone a virtual peer sends in a call: RTP packets of Opus frames that
// decode (libopus, as a receiver or the bridge's recorder would) to the tone.
#include "net/opus_tone.hpp"

#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cstdint>
#include <vector>

#include "net/srtp_session.hpp"
#include "../support/tone.hpp"

namespace sigtrust {
namespace {

TEST(OpusTone, PacketsAreConsecutiveRtpOfOnePayloadTypeAndSsrc) {
  auto tone = OpusTone::make(440, 0xA1B2C3D4);
  ASSERT_TRUE(tone.ok()) << tone.error().message;
  for (std::uint16_t i = 0; i < 5; ++i) {
    auto p = tone->next_packet();
    ASSERT_TRUE(p.ok()) << p.error().message;
    const auto h = parse_rtp(*p);
    ASSERT_TRUE(h.has_value());
    EXPECT_TRUE(is_rtp_or_rtcp(*p));
    EXPECT_FALSE(is_rtcp(*p));
    EXPECT_EQ(h->payload_type, kOpusPayloadType);
    EXPECT_EQ(h->ssrc, 0xA1B2C3D4u);
    EXPECT_EQ(h->sequence, i);
    EXPECT_EQ(h->timestamp, 960u * i);  // 20 ms at the 48 kHz RTP clock of Opus (RFC 7587 §4.1)
    EXPECT_EQ(h->marker, i == 0);
    EXPECT_GT(h->payload_size, 0u);
  }
}

TEST(OpusTone, DecodesToItsFrequency) {
  for (const double hz : {440.0, 700.0}) {
    auto tone = OpusTone::make(hz, 1);
    ASSERT_TRUE(tone.ok());
    int err = 0;
    OpusDecoder* dec = opus_decoder_create(48000, 1, &err);
    ASSERT_EQ(err, OPUS_OK);
    std::vector<std::int16_t> pcm;
    for (int i = 0; i < 25; ++i) {
      auto p = tone->next_packet();
      ASSERT_TRUE(p.ok());
      const auto h = parse_rtp(*p);
      ASSERT_TRUE(h.has_value());
      std::vector<opus_int16> frame(960);
      const int n =
          opus_decode(dec, p->data() + h->header_size, static_cast<opus_int32>(h->payload_size), frame.data(), 960, 0);
      ASSERT_EQ(n, 960);
      if (i >= 5) pcm.insert(pcm.end(), frame.begin(), frame.end());  // past the encoder's start-up
    }
    opus_decoder_destroy(dec);
    EXPECT_NEAR(testing::dominant_hz(pcm, 48000), hz, hz * 0.02);
  }
}

TEST(OpusTone, RefusesAFrequencyOutsideHearing) {
  EXPECT_FALSE(OpusTone::make(0, 1).ok());
  EXPECT_FALSE(OpusTone::make(30000, 1).ok());
}

}  // namespace
}  // namespace sigtrust
