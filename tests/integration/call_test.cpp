// Calls between virtual peers (a session's `media: [audio]`): each end sends
// a tone as Opus over SRTP keyed by its own DTLS handshake (RFC 5764), so a
// simulated run shows what an attacker in the middle hears. Real libnice,
// GnuTLS, libsrtp2 and libopus on loopback.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "../support/tone.hpp"
#include "run_helpers.hpp"
#include "sim/peer.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;
using testing::load_yaml;

std::string call_yaml(const std::string& trust, const std::string& relay, const std::string& expect,
                      const std::string& extra = "") {
  return "name: call\ndeadline_ms: 20000\npeers:\n  - {name: alice, trust: " + trust +
         "}\n  - {name: bob, trust: " + trust + "}\nrelay: " + relay +
         "\nsessions:\n  - offerer: alice\n    answerer: bob\n    expect: " + expect + "\n    media: [audio]\n" +
         extra + "    messages:\n      - {from: alice, text: \"co-sign tx 4f2a: 1 BTC to bob\"}\n";
}

RunResult run_call(const std::string& yaml, const std::string& media_dir = "") {
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.media_dir = media_dir;
  return run_scenario(load_yaml(yaml), o);
}

// The left channel of a WAV file the bridge wrote (48 kHz, 16-bit, stereo, 44-byte header).
std::vector<std::int16_t> wav_left(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::int16_t> left;
  for (size_t at = 44; at + 4 <= bytes.size(); at += 4)
    left.push_back(static_cast<std::int16_t>(static_cast<std::uint8_t>(bytes[at]) |
                                             (static_cast<std::uint8_t>(bytes[at + 1]) << 8)));
  return left;
}

TEST(Call, HonestCallCarriesEachSidesToneAndNobodyElseHearsIt) {
  const auto r = run_call(call_yaml("sdp-fingerprint", "honest", "secure"));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Secure);
  for (const auto* p : {&s.offerer_result.report, &s.answerer_result.report}) {
    EXPECT_TRUE(p->media) << p->name;
    EXPECT_EQ(p->media_sent, kTonePackets) << p->name;
    EXPECT_EQ(p->media_received, kTonePackets) << p->name;
    EXPECT_EQ(p->media_rejected, 0u) << p->name;
    EXPECT_EQ(p->state, PeerState::Done) << p->name;
  }
  EXPECT_NE(s.offerer_result.report.sdp_sent.find("m=audio 9 UDP/TLS/RTP/SAVPF 111"), std::string::npos);
  EXPECT_NE(s.offerer_result.report.sdp_sent.find("a=rtpmap:111 opus/48000/2"), std::string::npos);
  EXPECT_TRUE(s.attacker.media.empty());
  EXPECT_FALSE(r.deadline_reached);
}

TEST(Call, SwapMitmHearsBothDirectionsAndTheCallStillWorks) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-call-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto r = run_call(call_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected"), dir.string());
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::MitmUndetected);
  EXPECT_TRUE(s.pass);
  // The victims notice nothing: every packet of the other's tone arrived, through the attacker.
  for (const auto* p : {&s.offerer_result, &s.answerer_result}) {
    EXPECT_EQ(p->dtls_peer_owner, "mallory") << p->report.name;
    EXPECT_EQ(p->report.media_sent, kTonePackets) << p->report.name;
    EXPECT_EQ(p->report.media_received, kTonePackets) << p->report.name;
    EXPECT_TRUE(p->report.alarms.empty()) << p->report.name;
  }
  // The attacker decrypted one stream each way and recorded each sender's tone.
  ASSERT_EQ(s.attacker.media.size(), 2u);
  std::map<std::string, int> tone_of;
  for (const auto& [ssrc, m] : s.attacker.media) {
    EXPECT_EQ(m.kind, "audio") << ssrc;
    EXPECT_EQ(m.codec, "opus/48000/2") << ssrc;
    EXPECT_EQ(m.packets, kTonePackets) << ssrc;
    EXPECT_EQ(m.undecodable, 0u) << ssrc;
    ASSERT_EQ(m.files.size(), 1u) << ssrc;
    const auto pcm = wav_left(m.files[0]);
    ASSERT_GE(pcm.size(), 20u * 960u) << m.files[0];
    // Past the encoder's start-up, as a listener would hear it.
    tone_of[m.from] = testing::dominant_hz(std::vector<std::int16_t>(pcm.begin() + 5 * 960, pcm.end()), 48000);
  }
  EXPECT_NEAR(tone_of["alice"], 440, 440 * 0.02);
  EXPECT_NEAR(tone_of["bob"], 660, 660 * 0.02);
  EXPECT_EQ(s.attacker.plaintext_read, std::vector<std::string>{"co-sign tx 4f2a: 1 BTC to bob"});
  fs::remove_all(dir);
}

// oob-fingerprint refuses the SDP's fingerprint before any handshake; sas
// completes DTLS with the attacker (SRTP keyed) and refuses when the users'
// strings differ. Either way the call's audio never starts.
TEST(Call, APeerThatRefusesSendsNoAudioAndTheAttackerHearsNothing) {
  for (const std::string trust : {"oob-fingerprint", "sas"}) {
    const auto r = run_call(call_yaml(trust, "{attack: swap-mitm}", "detected", "    out_of_band: true\n"));
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.sessions.size(), 1u);
    const auto& s = r.sessions[0];
    EXPECT_EQ(s.outcome, Outcome::Detected) << trust;
    for (const auto* p : {&s.offerer_result.report, &s.answerer_result.report}) {
      EXPECT_EQ(p->media_sent, 0u) << trust << " " << p->name;
      EXPECT_EQ(p->media_received, 0u) << trust << " " << p->name;
    }
    for (const auto& [ssrc, m] : s.attacker.media) EXPECT_EQ(m.packets, 0u) << trust << " " << ssrc;
    if (trust == "sas") {
      EXPECT_EQ(s.attacker.dtls_legs, 2u) << "sas refuses after the handshakes";
    }
  }
}

// Twenty calls at once through one bridge: every packet of every tone
// reaches the other end (the load the bridge holds without loss; its cost
// per packet is in bench/, docs/performance.md). The deadline only guards
// against a hang.
TEST(Call, TwentyCallsThroughTheBridgeAtOnceLoseNoPacket) {
  const auto r = run_call(
      "name: calls-20\ndeadline_ms: 120000\nrelay: {attack: swap-mitm}\n"
      "scale: {pairs: 20, expect: mitm-undetected, media: [audio]}\n");
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 20u);
  for (const auto& s : r.sessions) {
    EXPECT_EQ(s.outcome, Outcome::MitmUndetected) << s.offerer << ": " << s.waiting_for;
    for (const auto* p : {&s.offerer_result.report, &s.answerer_result.report}) {
      EXPECT_EQ(p->media_sent, kTonePackets) << p->name;
      EXPECT_EQ(p->media_received, kTonePackets) << p->name;
    }
    std::uint64_t heard = 0;
    for (const auto& [ssrc, m] : s.attacker.media) heard += m.packets;
    EXPECT_EQ(heard, 2 * kTonePackets) << s.room;
  }
}

}  // namespace
}  // namespace sigtrust
