// Result documents for the report writer tests, built the way the engine's
// results become a document (reports::result_document), one of them full of
// hostile text in every place an attacker or a hand-edited file can put it.
// Plus running a shell command and reading files.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/json_report.hpp"

namespace sigtrust::reports::test {

// Markup that must never reach a page, an XML file or a terminal unescaped.
inline const std::string kHostile = "</script><img src=x onerror=alert(1)>&\"'|`*_<!-- ]]> \x1b[31mred\x07";

inline const std::string kSdpBefore =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:AAAA\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:AA\r\na=setup:actpass\r\na=candidate:1 1 UDP 1 127.1.2.10 4000 typ host\r\n";
inline const std::string kSdpAfter =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:MMMM\r\na=ice-pwd:mmmmmmmmmmmmmmmmmmmmmm\r\n"
    "a=fingerprint:sha-256 EE:EE\r\na=setup:actpass\r\na=candidate:1 1 UDP 1 127.1.2.200 5000 typ host\r\n";

inline PeerResult peer(const std::string& name, const std::string& seen, const std::string& owner,
                       std::vector<std::string> alarms = {}) {
  PeerResult p;
  p.report.name = name;
  p.report.trust = "sdp-fingerprint";
  p.report.state = PeerState::Done;
  p.report.dtls_peer_fingerprint = *sdp::parse_fingerprint(seen);
  p.report.expected_fingerprints = {{"sha-256", "EE:EE"}};
  p.report.alarms = std::move(alarms);
  p.report.local_addresses = {name == "alice" ? "127.1.2.10" : "127.1.2.11"};
  p.report.selected_pair = SelectedPair{"host", "host", p.report.local_addresses[0] + ":4000", "127.1.2.200:5000"};
  p.dtls_peer_owner = owner;
  return p;
}

// One run of `attack` under `trust`: alice -> bob with `outcome`, and a
// timeline with an offer rewritten by mallory, ICE, DTLS and data.
inline RunResult run_of(const std::string& scenario, const std::string& attack, const std::string& trust,
                        Outcome outcome, const std::string& expected) {
  RunResult r;
  r.scenario = scenario;
  r.file = "scenarios/" + scenario + ".yaml";
  r.attack = attack;
  r.trust = trust;
  r.network = "127.1.2.0/24";
  r.duration_ms = 25.5;
  SessionResult s;
  s.offerer = "alice";
  s.answerer = "bob";
  s.outcome = outcome;
  s.expected = expected;
  s.pass = std::string(to_string(outcome)) == expected;
  const bool mitm = outcome == Outcome::MitmUndetected || outcome == Outcome::MitmDetectedLate;
  s.offerer_result = peer("alice", "sha-256 EE:EE", mitm ? "mallory" : "bob");
  s.answerer_result = peer(
      "bob", "sha-256 EE:EE", mitm ? "mallory" : "alice",
      outcome == Outcome::Detected ? std::vector<std::string>{"fingerprint-mismatch"} : std::vector<std::string>{});
  if (mitm) s.attacker.plaintext_read = {"hello bob"};
  s.attacker.ciphertext_bytes = mitm ? 321 : 0;
  s.ice_ms = 2, s.dtls_ms = 1, s.total_ms = 3.25;
  r.sessions.push_back(s);
  using nlohmann::json;
  r.timeline = {
      {0.1, "engine", "run.start", "run on 127.1.2.0/24", nullptr},
      {0.5, "alice", "signaling.connected", "joined the relay", nullptr},
      {0.6, "bob", "signaling.connected", "joined the relay", nullptr},
      {1.0, "alice", "signaling.offer-sent", "sent offer", json{{"sdp", kSdpBefore}}},
      {1.1, "mallory", "attack.rewrite", "substituted its fingerprint in the offer in the message from alice to bob",
       json{{"from", "alice"}, {"to", "bob"}, {"before", kSdpBefore}, {"after", kSdpAfter}}},
      {1.2, "bob", "signaling.offer-received", "received offer", json{{"sdp", kSdpAfter}}},
      {1.3, "bob", "signaling.answer-sent", "sent answer", json{{"sdp", "a=fingerprint:sha-256 BB:BB\r\n"}}},
      {1.4, "alice", "signaling.answer-received", "received answer", nullptr},
      {2.0, "alice", "ice.ready", "selected pair host 127.1.2.10:4000 -> host 127.1.2.200:5000", nullptr},
      {3.0, "alice", "dtls.connected", "DTLS handshake complete as server", nullptr},
      {3.1, "alice", "data.sent", "sent \"hello bob\"", nullptr},
      {3.2, "mallory", "attack.read", "read \"hello bob\" from alice", nullptr},
      {3.3, "bob", "data.received", "received \"hello bob\"", nullptr},
      {3.4, "bob", "alarm", "fingerprint-mismatch: certificate does not match",
       json{{"alarm", "fingerprint-mismatch"}}},
      {3.5, "engine", "run.end", "run ended", nullptr},
  };
  return r;
}

// A document whose every free-text field carries kHostile.
// A one-sided `sas` run on swap-mitm that the deadline ended: alice was still
// waiting for the users' comparison, so the outcome is provisional.
inline RunResult cut_run(CutBy cut = CutBy::Deadline) {
  RunResult r =
      run_of("sas-one-sided", "swap-mitm", "alice=sas,bob=sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected");
  r.deadline_ms = 5000;
  r.deadline_reached = cut == CutBy::Deadline;
  r.interrupted = cut == CutBy::Interrupted;
  auto& s = r.sessions.front();
  s.cut = cut;
  s.waiting_for = "alice was waiting for the users' out-of-band comparison";
  s.pass = false;  // as the engine judges it: a provisional outcome meets no expectation
  s.total_ms = -1;
  return r;
}

inline nlohmann::json hostile_document() {
  RunResult r = run_of("swap-mitm", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "secure");
  r.scenario = "evil " + kHostile;
  r.file = "scenarios/evil " + kHostile + ".yaml";
  auto& s = r.sessions[0];
  s.attacker.plaintext_read = {"hello " + kHostile};
  s.attacker.rewritten = {"x -> " + kHostile};
  s.offerer_result.report.failure = "failure " + kHostile;
  s.answerer_result.report.alarms = {"alarm " + kHostile};
  for (auto& e : r.timeline) {
    if (e.kind == "attack.rewrite") {
      e.data["before"] = kSdpBefore + "a=x-evil:" + kHostile + "\r\n```\r\n";
      e.data["after"] = kSdpAfter + "a=x-evil:" + kHostile + "2\r\n````\r\n";
    }
    if (e.kind == "data.sent") e.text = "sent \"" + kHostile + "\"";
  }
  return result_document({r});
}

// The catalogue's shape: several runs with attack and trust varying.
inline nlohmann::json matrix_document() {
  return result_document({
      run_of("honest", "none", "sdp-fingerprint", Outcome::Secure, "secure"),
      run_of("swap-mitm", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected"),
      run_of("strip-mitm", "strip-mitm", "sdp-fingerprint", Outcome::Detected, "detected"),
      run_of("strip-mitm-nv", "strip-mitm", "no-verification", Outcome::MitmUndetected, "mitm-undetected"),
      run_of("late", "append-mitm", "log-only-bug", Outcome::MitmDetectedLate, "mitm-detected-late"),
  });
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

struct Command {
  int status = -1;
  std::string out;  // stdout and stderr together
};

// Runs `cmd` through the shell; stderr is folded into the output unless
// `with_stderr` is false (then it is dropped).
inline Command shell(const std::string& cmd, bool with_stderr = true) {
  Command c;
  FILE* p = popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!p) return c;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) c.out.append(buf.data(), n);
  const int st = pclose(p);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

inline std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace sigtrust::reports::test
