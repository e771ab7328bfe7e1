// The capture a run writes, dissected by tshark (installed by
// scripts/install-deps): STUN and the DTLS handshakes are on the wire, the
// certificates on the wire are the ones the result document names, the key
// log decrypts the application data, the WebSocket frames carry the rewritten
// SDP, and nothing outside the run's network was captured.
#include "reports/capture.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "report_fixtures.hpp"
#include "reports/result_view.hpp"
#include "net/certificate.hpp"

namespace sigtrust::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) out.push_back(std::move(cur)), cur.clear();
    else cur += c;
  }
  out.push_back(cur);
  return out;
}

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string text_of_hex(const std::string& hex) {
  const auto bytes = from_hex(hex);
  return std::string(bytes.begin(), bytes.end());
}

class ReportCapture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("sigtrust-capture-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    run_ =
        test::shell(std::string(SIGTRUST_BINARY) +
                    " run " SIGTRUST_SOURCE_DIR "/scenarios/swap-mitm.yaml -q --report-dir " + (dir_ / "out").string());
    if (fs::exists(dir_ / "out/result.json")) doc_ = json::parse(test::read_file((dir_ / "out/result.json").string()));
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static test::Command tshark(const std::string& args) {
    return test::shell("tshark -r " + (dir_ / "out/capture.pcap").string() + " " + args, false);
  }
  static const json& run() { return doc_["runs"][0]; }
  static const json& session() { return run()["sessions"][0]; }

  static inline fs::path dir_;
  static inline test::Command run_;
  static inline json doc_;
};

TEST_F(ReportCapture, RunWritesACaptureWithoutWarning) {
  ASSERT_EQ(run_.status, 0) << run_.out;
  EXPECT_EQ(run_.out.find("warning"), std::string::npos) << run_.out;
  EXPECT_GT(fs::file_size(dir_ / "out/capture.pcap"), 24u) << "more than a pcap header";
  EXPECT_GT(fs::file_size(dir_ / "out/keys.log"), 0u);
}

TEST_F(ReportCapture, TsharkDissectsStunDtlsAndWebSocket) {
  const auto r = tshark("-T fields -e frame.protocols");
  ASSERT_EQ(r.status, 0) << r.out;
  std::size_t stun = 0, dtls = 0, websocket = 0;
  for (const auto& l : lines_of(r.out)) {
    stun += l.find(":stun") != std::string::npos;
    dtls += l.find(":dtls") != std::string::npos;
    websocket += l.find(":websocket") != std::string::npos;
  }
  EXPECT_GT(stun, 0u);
  EXPECT_GT(dtls, 0u);
  EXPECT_GT(websocket, 0u);
  // Two DTLS handshakes (alice-mallory, mallory-bob): ClientHello and
  // ServerHelloDone each on two UDP flows (retransmissions aside).
  for (const char* type : {"1", "14"}) {
    const auto flows = lines_of(tshark(std::string("-Y dtls.handshake.type==") + type +
                                       " -T fields -e ip.src -e udp.srcport -e ip.dst -e udp.dstport")
                                    .out);
    EXPECT_EQ(std::set<std::string>(flows.begin(), flows.end()).size(), 2u) << "handshake type " << type;
  }
}

TEST_F(ReportCapture, CertificatesOnTheWireAreTheOnesTheDocumentNames) {
  const auto r = tshark("-Y dtls.handshake.certificate -T fields -e dtls.handshake.certificate");
  ASSERT_EQ(r.status, 0) << r.out;
  std::set<std::string> on_wire;
  for (const auto& l : lines_of(r.out))
    for (const auto& hex : split(l, ',')) {
      auto fp = fingerprint_of(from_hex(hex), "sha-256");
      ASSERT_TRUE(fp) << fp.error().message;
      on_wire.insert(sdp::format_fingerprint(*fp));
    }
  // alice's and bob's own (from the SDP each sent) and mallory's (what each saw).
  std::set<std::string> named;
  for (const char* peer : {"alice", "bob"}) {
    for (const auto& f : sent_fingerprints(run(), peer)) named.insert(f);
    named.insert(session()["peers"][peer]["dtls_peer_fingerprint"].get<std::string>());
  }
  EXPECT_GE(on_wire.size(), 3u);
  EXPECT_EQ(on_wire, named);
  EXPECT_EQ(session()["peers"]["alice"]["dtls_peer_owner"], "mallory");
}

TEST_F(ReportCapture, KeyLogDecryptsEveryMessage) {
  const auto plain = tshark("-Y dtls.app_data -T fields -E separator=, -e frame.number -e data.data");
  ASSERT_FALSE(lines_of(plain.out).empty());
  for (const auto& l : lines_of(plain.out))
    EXPECT_EQ(split(l, ',').at(1), "") << "no plaintext without the key log: " << l;
  const auto r = tshark("-o tls.keylog_file:" + (dir_ / "out/keys.log").string() +
                        " -Y dtls.app_data -T fields -E separator=, -e frame.number -e data.data");
  ASSERT_EQ(r.status, 0) << r.out;
  std::multiset<std::string> seen;
  std::string all;
  for (const auto& l : lines_of(r.out)) {
    const auto f = split(l, ',');
    ASSERT_EQ(f.size(), 2u) << l;
    EXPECT_FALSE(f[1].empty()) << "application data record in frame " << f[0] << " was not decrypted";
    seen.insert(text_of_hex(f[1]));
    all += "\n  " + f[0] + ": '" + text_of_hex(f[1]) + "'";
  }
  SCOPED_TRACE("decrypted application data:" + all);
  // Every message crosses the wire to mallory, and once more from mallory
  // when the other peer received it; nothing else is application data.
  std::size_t expected_records = 0;
  for (const auto& [from, to] : {std::pair{"alice", "bob"}, std::pair{"bob", "alice"}})
    for (const auto& m : session()["peers"][from]["sent"]) {
      const auto& received = session()["peers"][to]["received"];
      const std::size_t delivered = std::count(received.begin(), received.end(), m);
      EXPECT_EQ(seen.count(m.get<std::string>()), 1 + delivered) << m;
      expected_records += 1 + delivered;
    }
  EXPECT_EQ(seen.size(), expected_records);
}

TEST_F(ReportCapture, WebSocketFramesCarryTheRewrittenSdp) {
  const std::string mallory = session()["peers"]["alice"]["dtls_peer_fingerprint"].get<std::string>().substr(8);
  const auto r = tshark("-Y websocket -T fields -e websocket.payload.text");
  ASSERT_EQ(r.status, 0) << r.out;
  // Counted in the whole output: one line is one packet, and a TCP segment
  // may carry two WebSocket frames (tshark then joins their texts with ',').
  std::size_t with_mallory = 0;
  for (auto at = r.out.find(mallory); at != std::string::npos; at = r.out.find(mallory, at + 1)) ++with_mallory;
  EXPECT_EQ(with_mallory, 2u) << "the rewritten offer and answer, as delivered; tshark saw:\n" << r.out;
}

TEST_F(ReportCapture, OnlyTheRunsNetworkIsCaptured) {
  const std::string network = run()["network"];  // "127.a.b.0/24"
  const std::string prefix = network.substr(0, network.size() - 4);
  const auto r = tshark("-T fields -E separator=, -e ip.src -e ip.dst -e udp.srcport");
  ASSERT_EQ(r.status, 0) << r.out;
  std::size_t udp = 0;
  for (const auto& l : lines_of(r.out)) {
    const auto f = split(l, ',');
    ASSERT_EQ(f.size(), 3u) << l;
    EXPECT_TRUE(f[0].rfind(prefix, 0) == 0 || f[1].rfind(prefix, 0) == 0) << l;
    if (f[2].empty()) continue;
    ++udp;
    EXPECT_EQ(f[0].rfind(prefix, 0), 0u) << "UDP from outside " << network << ": " << l;
    EXPECT_EQ(f[1].rfind(prefix, 0), 0u) << "UDP to outside " << network << ": " << l;
  }
  EXPECT_GT(udp, 0u);
}

TEST(ReportCaptureUnit, NoSuchInterfaceIsAnErrorAndLeavesNoFile) {
  const fs::path file = fs::temp_directory_path() / ("sigtrust-nocap-" + std::to_string(::getpid()) + ".pcap");
  Capture c(file.string(), "no-such-if0");
  const std::string why = c.start("127.9.9.0/24");
  EXPECT_NE(why.find("no-such-if0"), std::string::npos) << why;
  EXPECT_FALSE(c.opened());
  c.stop("127.9.9.0/24", std::chrono::milliseconds(0));
  EXPECT_FALSE(fs::exists(file));
}

}  // namespace
}  // namespace sigtrust::reports
