// End-to-end runs of the core: real libnice, GnuTLS and libsoup on loopback.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "run_helpers.hpp"
#include "core/signaling_message.hpp"
#include "sim/net_plan.hpp"

namespace sigtrust {
namespace {

using testing::has_event;
using testing::load_yaml;
using testing::run;
using testing::two_peer_yaml;

TEST(Core, HonestRunIsSecureWithEachPeerSeeingTheOthersRealCertificate) {
  CertificateStore store;
  const auto r = run(load_yaml(testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml")), &store);
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Secure);
  EXPECT_TRUE(s.pass);
  const std::regex upper_sha256("sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}");
  const auto& alice = s.offerer_result;
  const auto& bob = s.answerer_result;
  EXPECT_EQ(alice.dtls_peer_owner, "bob");
  EXPECT_EQ(bob.dtls_peer_owner, "alice");
  EXPECT_EQ(alice.report.dtls_peer_fingerprint, store.get("bob").fingerprint());
  EXPECT_EQ(bob.report.dtls_peer_fingerprint, store.get("alice").fingerprint());
  EXPECT_TRUE(std::regex_match(sdp::format_fingerprint(alice.report.dtls_peer_fingerprint), upper_sha256));
  EXPECT_TRUE(alice.report.alarms.empty());
  EXPECT_TRUE(bob.report.alarms.empty());
  EXPECT_EQ(bob.report.received, (std::vector<std::string>{"hello bob", "please co-sign tx 4f2a: 1 BTC to bob"}));
  EXPECT_EQ(alice.report.received, (std::vector<std::string>{"hello alice"}));
  EXPECT_TRUE(s.attacker.plaintext_read.empty());
  EXPECT_FALSE(r.deadline_reached);
}

TEST(Core, HonestSdpHasTheBrowserDataChannelShape) {
  const auto r = run(load_yaml(two_peer_yaml("sdp-fingerprint", "honest", "secure")));
  ASSERT_EQ(r.sessions.size(), 1u);
  const std::string& offer = r.sessions[0].offerer_result.report.sdp_sent;
  for (const char* line : {"m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0",
                           "a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:sha-256 ", "a=setup:actpass", "a=mid:0",
                           "a=sctp-port:5000", "a=candidate:", "a=end-of-candidates"})
    EXPECT_NE(offer.find(line), std::string::npos) << line;
  EXPECT_NE(r.sessions[0].answerer_result.report.sdp_sent.find("a=setup:active"), std::string::npos);
}

// The pair of tests for a wrong fingerprint (docs/architecture.md, convention 11): the relay hands
// each peer a fingerprint that is not its partner's, and nothing else changes.
TEST(Core, WrongFingerprintIsDetectedUnderSdpFingerprint) {
  const auto r = run(load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: fingerprint-only}", "detected")));
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Detected);
  // Bob is the DTLS client (he answered a=setup:active) and sees the server certificate first.
  EXPECT_EQ(s.answerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  EXPECT_TRUE(s.offerer_result.report.alarms.empty());
  EXPECT_FALSE(s.offerer_result.report.entered_data_phase);
  EXPECT_FALSE(s.answerer_result.report.entered_data_phase);
  EXPECT_TRUE(has_event(r, "alarm"));
}

TEST(Core, WrongFingerprintIsSecureUnderNoVerification) {
  const auto r = run(load_yaml(two_peer_yaml("no-verification", "{attack: fingerprint-only}", "secure")));
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.outcome, Outcome::Secure);  // no bridge: the peers reached each other directly
  EXPECT_EQ(s.offerer_result.dtls_peer_owner, "bob");
  EXPECT_EQ(s.answerer_result.dtls_peer_owner, "alice");
  EXPECT_TRUE(s.offerer_result.report.alarms.empty());
  EXPECT_TRUE(s.answerer_result.report.alarms.empty());
}

// --- Loopback only -----------------------------------------------------------

struct SocketAddr {
  std::string local, remote;
};

// Sockets of this process, read from /proc: inodes of our fds, matched with
// the kernel's UDP and TCP tables (IPv4 and IPv6).
std::vector<SocketAddr> own_sockets() {
  std::set<std::string> inodes;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      char target[256];
      const std::string link = std::string("/proc/self/fd/") + e->d_name;
      const ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
      if (n <= 0) continue;
      target[n] = 0;
      std::string t(target);
      if (t.rfind("socket:[", 0) == 0) inodes.insert(t.substr(8, t.size() - 9));
    }
    closedir(d);
  }
  auto decode4 = [](const std::string& hex) {
    const auto colon = hex.find(':');
    in_addr a{};
    a.s_addr = static_cast<in_addr_t>(std::stoul(hex.substr(0, colon), nullptr, 16));
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(std::stoul(hex.substr(colon + 1), nullptr, 16));
  };
  std::vector<SocketAddr> out;
  for (const char* table : {"/proc/self/net/udp", "/proc/self/net/tcp"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
      ls >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      if (inodes.count(inode)) out.push_back({decode4(local), decode4(remote)});
    }
  }
  for (const char* table : {"/proc/self/net/udp6", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
      ls >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
      if (inodes.count(inode)) out.push_back({"ipv6:" + local, "ipv6:" + remote});
    }
  }
  return out;
}

TEST(Core, RunGathersBindsAndSendsOnLoopbackOnly) {
  const auto before = own_sockets();
  std::set<std::string> baseline;
  for (const auto& s : before) baseline.insert(s.local + " " + s.remote);

  std::atomic<bool> running{true};
  std::vector<SocketAddr> seen;
  std::thread watcher([&] {
    while (running) {
      for (auto& s : own_sockets())
        if (!baseline.count(s.local + " " + s.remote)) seen.push_back(s);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  // Deterministically, at the end of the run, before teardown; the watcher
  // above also samples sockets that may come and go during the run.
  std::vector<SocketAddr> at_end;
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.before_teardown = [&] { at_end = own_sockets(); };
  const auto r = run_scenario(load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected")), o);
  running = false;
  watcher.join();
  for (const auto& s : at_end)
    if (!baseline.count(s.local + " " + s.remote)) seen.push_back(s);

  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_TRUE(r.sessions[0].pass);
  // Every socket the run opened was bound to a 127.0.0.0/8 address (or not
  // yet bound at all) and talked only to 127.0.0.0/8.
  // 4 ICE agents (2 peers, 2 attacker legs), the relay's listener, 2 WebSocket clients and their server ends.
  ASSERT_GE(seen.size(), 9u);
  size_t bound = 0;
  for (const auto& s : seen) {
    EXPECT_EQ(s.local.rfind("ipv6:", 0), std::string::npos) << "IPv6 socket " << s.local;
    const bool unbound = s.local == "0.0.0.0:0";
    if (!unbound) {
      ++bound;
      EXPECT_TRUE(is_loopback(s.local)) << "bound to " << s.local;
    }
    EXPECT_TRUE(s.remote == "0.0.0.0:0" || is_loopback(s.remote)) << "talking to " << s.remote;
  }
  EXPECT_GT(bound, 0u);
  // What the peers gathered and selected is in the run's own /24 too.
  for (const auto* p : {&r.sessions[0].offerer_result, &r.sessions[0].answerer_result}) {
    ASSERT_FALSE(p->report.local_addresses.empty());
    for (const auto& a : p->report.local_addresses)
      EXPECT_EQ(a.rfind(r.network.substr(0, r.network.size() - 4), 0), 0u) << a;
    ASSERT_TRUE(p->report.selected_pair.has_value());
    EXPECT_TRUE(is_loopback(p->report.selected_pair->local));
    EXPECT_TRUE(is_loopback(p->report.selected_pair->remote));
  }
}

TEST(Core, TwoRunsGetDifferentNetworks) {
  const auto a = run(load_yaml(two_peer_yaml("sdp-fingerprint", "honest", "secure")));
  const auto b = run(load_yaml(two_peer_yaml("sdp-fingerprint", "honest", "secure")));
  EXPECT_NE(a.network, b.network);  // 1 in 65280 chance of a false failure
  EXPECT_NE(a.network.rfind("127.0.", 0), 0u);
}

// An answerer that never answers: the relay loses everything bob sends after
// joining (his answer, and the bye he sends when ICE gives up), so alice is
// still waiting for the answer when the deadline comes, however slow the build.
struct SilentAnswerer : Attack, SignalingInterceptor {
  explicit SilentAnswerer(AttackWorld& w) : world(w) {}
  SignalingInterceptor* signaling() override { return this; }
  void on_message(const RelayedMessage& m, Deliver deliver) override {
    auto msg = parse_signaling(m.text);
    if (m.from_label == "bob" && !(msg && msg->type == SignalingMessage::Type::Ready)) {
      world.timeline.add(world.name, "attack.dropped", "lost a message from bob");
      return;
    }
    deliver(m.text);
  }
  AttackWorld& world;
};

TEST(Core, DeadlineEndsARunAndSaysWhatItWaitedFor) {
  auto s = load_yaml(two_peer_yaml("sdp-fingerprint", "{attack: drop-answer}", "failed", 2000));
  EngineOptions o;
  o.make_attack = [](const std::string&, AttackWorld& w) -> std::unique_ptr<Attack> {
    return std::make_unique<SilentAnswerer>(w);
  };
  const auto r = run_scenario(s, o);
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::Failed);
  EXPECT_TRUE(r.deadline_reached);
  EXPECT_GE(r.duration_ms, 2000) << "the run waited for its deadline";
  auto it = std::find_if(r.timeline.begin(), r.timeline.end(),
                         [](const TimelineEvent& e) { return e.kind == "run.deadline"; });
  ASSERT_NE(it, r.timeline.end());
  EXPECT_NE(it->text.find("deadline of 2000 ms reached"), std::string::npos) << it->text;
  EXPECT_NE(it->text.find("alice was waiting for the answer"), std::string::npos) << it->text;
}

// `scale:` pairs run concurrently; past 32 sessions a round runs in batches
// (each on its own main context and relay) and every connection stays open
// until the last one is up.
TEST(Core, ScaleScenarioRunsEveryPairSecurelyAcrossBatches) {
  CertificateStore store;
  const auto r = run(load_yaml("name: scale-40\ndeadline_ms: 120000\nscale: {pairs: 40}\n"), &store);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.deadline_reached);
  ASSERT_EQ(r.sessions.size(), 40u);
  for (const auto& s : r.sessions) {
    EXPECT_EQ(s.outcome, Outcome::Secure) << s.offerer << ": " << s.offerer_result.report.failure << " / " << s.answerer
                                          << ": " << s.answerer_result.report.failure;
    EXPECT_TRUE(s.pass);
    EXPECT_EQ(s.offerer_result.dtls_peer_owner, s.answerer);
    EXPECT_EQ(s.answerer_result.dtls_peer_owner, s.offerer);
    EXPECT_EQ(s.offerer_result.report.dtls_peer_fingerprint, store.get(s.answerer).fingerprint());
    EXPECT_EQ(s.answerer_result.report.received, (std::vector<std::string>{"message 1 from " + s.offerer}));
    EXPECT_EQ(s.offerer_result.report.received, (std::vector<std::string>{"message 1 from " + s.answerer}));
  }
  const auto batches = std::count_if(r.timeline.begin(), r.timeline.end(),
                                     [](const TimelineEvent& e) { return e.kind == "batch.start"; });
  EXPECT_EQ(batches, 2);
}

// With an attack the batches share the run's loop (the attacker's nodes live
// there); every session still gets the attack's outcome. The deadline only
// guards against a hang: under the sanitizers, on two busy cores, 160 DTLS
// handshakes took more than 20 s.
TEST(Core, AttackedScaleScenarioRunsInBatchesOnTheRunsLoop) {
  const auto r =
      run(load_yaml("name: scale-mitm\ndeadline_ms: 120000\nrelay: {attack: swap-mitm}\n"
                    "scale: {pairs: 40, expect: mitm-undetected}\n"));
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.deadline_reached);
  ASSERT_EQ(r.sessions.size(), 40u);
  for (const auto& s : r.sessions) {
    EXPECT_EQ(s.outcome, Outcome::MitmUndetected) << s.offerer << ": " << s.offerer_result.report.failure << " / "
                                                  << s.answerer << ": " << s.answerer_result.report.failure;
    EXPECT_EQ(s.offerer_result.dtls_peer_owner, "mallory");
    EXPECT_EQ(s.attacker.plaintext_read.size(), 2u) << s.offerer;
  }
  const auto batches = std::count_if(r.timeline.begin(), r.timeline.end(), [](const TimelineEvent& e) {
    return e.kind == "batch.start" && e.text.find("on the run's main loop") != std::string::npos;
  });
  EXPECT_EQ(batches, 2);
}

TEST(Core, SmallScaleScenarioRunsAllPairsAtOnce) {
  // The deadline only guards against a hang: the default 5 s was not enough
  // for 20 pairs at once on two cores under a load of 20.
  const auto r = run(load_yaml("name: scale-20\ndeadline_ms: 120000\nscale: {pairs: 20}\n"));
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 20u);
  for (const auto& s : r.sessions)
    EXPECT_EQ(s.outcome, Outcome::Secure)
        << s.offerer << ": " << s.offerer_result.report.failure << " / " << s.waiting_for;
  EXPECT_FALSE(has_event(r, "batch.start"));
}

}  // namespace
}  // namespace sigtrust
