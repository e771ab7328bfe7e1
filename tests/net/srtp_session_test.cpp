// SRTP/SRTCP as the bridge does it: demultiplexing (RFC 7983), RTP/RTCP
// headers (RFC 3550), and libsrtp2 contexts keyed per RFC 5764 §4.2 — a
// victim's outbound context and the attacker's inbound one agree.
#include "net/srtp_session.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace sigtrust {
namespace {

SrtpKeys keys(SrtpProfile profile = SrtpProfile::Aes128CmHmacSha1_80) {
  SrtpKeys k;
  k.profile = profile;
  for (std::uint8_t i = 0; i < 16; ++i) {
    k.client_key.push_back(i);
    k.server_key.push_back(static_cast<std::uint8_t>(0x80 + i));
  }
  for (std::uint8_t i = 0; i < 14; ++i) {
    k.client_salt.push_back(static_cast<std::uint8_t>(0x40 + i));
    k.server_salt.push_back(static_cast<std::uint8_t>(0xC0 + i));
  }
  return k;
}

// An Opus-like RTP packet: V=2, PT 111, the given sequence number, SSRC 0x11223344.
std::vector<std::uint8_t> rtp(std::uint16_t seq, size_t payload = 40) {
  std::vector<std::uint8_t> p = {
      0x80, 111, static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq), 0, 0, 0x03, 0xC0, 0x11, 0x22,
      0x33, 0x44};
  for (size_t i = 0; i < payload; ++i) p.push_back(static_cast<std::uint8_t>(i * 7));
  return p;
}

// An RTCP receiver report with no blocks (RFC 3550 §6.4.2).
std::vector<std::uint8_t> rtcp_rr() { return {0x80, 201, 0, 1, 0x55, 0x66, 0x77, 0x88}; }

SrtpContext make(DtlsRole role, SrtpContext::Direction d, SrtpProfile profile = SrtpProfile::Aes128CmHmacSha1_80) {
  auto c = SrtpContext::make(keys(profile), role, d);
  if (!c.ok()) throw std::runtime_error("SrtpContext::make: " + c.error().message);
  return std::move(*c);
}

TEST(SrtpDemux, TellsRtpAndRtcpFromDtls) {
  EXPECT_TRUE(is_rtp_or_rtcp(rtp(1)));
  EXPECT_TRUE(is_rtp_or_rtcp(rtcp_rr()));
  EXPECT_FALSE(is_rtp_or_rtcp(std::vector<std::uint8_t>{22, 0xFE, 0xFD}));  // DTLS handshake
  EXPECT_FALSE(is_rtp_or_rtcp(std::vector<std::uint8_t>{}));
  EXPECT_FALSE(is_rtcp(rtp(1)));
  EXPECT_TRUE(is_rtcp(rtcp_rr()));
}

TEST(RtpHeader, ParsesTheFixedHeader) {
  const auto h = parse_rtp(rtp(513));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->payload_type, 111);
  EXPECT_EQ(h->sequence, 513);
  EXPECT_EQ(h->timestamp, 960u);
  EXPECT_EQ(h->ssrc, 0x11223344u);
  EXPECT_EQ(h->header_size, 12u);
  EXPECT_EQ(h->payload_size, 40u);
  EXPECT_EQ(parse_rtcp_sender(rtcp_rr()), 0x55667788u);
}

TEST(RtpHeader, RefusesWhatDoesNotFit) {
  auto p = rtp(1, 0);
  p[0] = 0x40;  // version 1
  EXPECT_FALSE(parse_rtp(p));
  p = rtp(1, 0);
  p[0] = 0x8F;  // 15 CSRCs announced, none there
  EXPECT_FALSE(parse_rtp(p));
  p = rtp(1, 2);
  p[0] = 0x90;  // an extension header that is not there
  EXPECT_FALSE(parse_rtp(p));
  p = rtp(1, 4);
  p[0] = 0xA0;  // padding longer than the payload
  p.back() = 200;
  EXPECT_FALSE(parse_rtp(p));
  EXPECT_FALSE(parse_rtp(std::vector<std::uint8_t>(11, 0x80)));
  EXPECT_FALSE(parse_rtcp_sender(std::vector<std::uint8_t>{0x80, 201, 0}));
}

// RFC 5764 §4.2: what the victim (DTLS client) protects with the client
// key, the attacker (DTLS server on that leg) unprotects.
TEST(SrtpContext, AttackerUnprotectsWhatTheVictimProtected) {
  for (const auto profile : {SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::Aes128CmHmacSha1_32}) {
    auto victim_out = make(DtlsRole::Client, SrtpContext::Direction::Outbound, profile);
    auto attacker_in = make(DtlsRole::Server, SrtpContext::Direction::Inbound, profile);
    const auto plain = rtp(7);
    auto p = plain;
    ASSERT_TRUE(victim_out.protect(p, false));
    EXPECT_EQ(p.size(), plain.size() + (profile == SrtpProfile::Aes128CmHmacSha1_80 ? 10u : 4u));
    EXPECT_NE(p, plain);
    ASSERT_TRUE(attacker_in.unprotect(p, false));
    EXPECT_EQ(p, plain);

    auto c = rtcp_rr();
    ASSERT_TRUE(victim_out.protect(c, true));
    ASSERT_TRUE(attacker_in.unprotect(c, true));
    EXPECT_EQ(c, rtcp_rr());
  }
}

TEST(SrtpContext, TheOtherDirectionUsesTheOtherKey) {
  auto attacker_out = make(DtlsRole::Server, SrtpContext::Direction::Outbound);
  auto victim_in = make(DtlsRole::Client, SrtpContext::Direction::Inbound);
  auto wrong_in = make(DtlsRole::Server, SrtpContext::Direction::Inbound);
  auto p = rtp(9);
  ASSERT_TRUE(attacker_out.protect(p, false));
  auto copy = p;
  EXPECT_FALSE(wrong_in.unprotect(copy, false));
  EXPECT_TRUE(victim_in.unprotect(p, false));
}

TEST(SrtpContext, RefusesTamperedReplayedAndTruncatedPackets) {
  auto victim_out = make(DtlsRole::Client, SrtpContext::Direction::Outbound);
  auto attacker_in = make(DtlsRole::Server, SrtpContext::Direction::Inbound);
  auto p = rtp(100);
  ASSERT_TRUE(victim_out.protect(p, false));
  auto tampered = p;
  tampered[20] ^= 1;
  EXPECT_FALSE(attacker_in.unprotect(tampered, false));
  auto first = p;
  EXPECT_TRUE(attacker_in.unprotect(first, false));
  auto replay = p;
  EXPECT_FALSE(attacker_in.unprotect(replay, false));  // RFC 3711 §3.3.2 replay list
  std::vector<std::uint8_t> tiny = {0x80, 111, 0, 1};
  EXPECT_FALSE(attacker_in.unprotect(tiny, false));
  std::vector<std::uint8_t> no_tag = rtp(101, 3);
  EXPECT_FALSE(attacker_in.unprotect(no_tag, false));
  std::vector<std::uint8_t> short_rtcp = {0x80, 201, 0, 1, 1, 2, 3, 4, 5};
  EXPECT_FALSE(attacker_in.unprotect(short_rtcp, true));
}

TEST(SrtpContext, KeysOfTheWrongLengthAreAnError) {
  auto k = keys();
  k.client_key.pop_back();
  EXPECT_FALSE(SrtpContext::make(k, DtlsRole::Client, SrtpContext::Direction::Outbound).ok());
}

}  // namespace
}  // namespace sigtrust
