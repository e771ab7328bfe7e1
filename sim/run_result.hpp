// What one run produced: per session, ground truth, what each peer noticed,
// the outcome and whether it met the expectation; plus the timeline. Reports
// only read this.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/attack.hpp"
#include "sim/outcome.hpp"
#include "sim/peer.hpp"
#include "sim/timeline.hpp"

namespace sigtrust {

struct PeerResult {
  PeerReport report;
  std::string dtls_peer_owner;  // ground truth: who owns the certificate it saw
};

struct SessionResult {
  std::string offerer, answerer, room;
  std::uint32_t round = 0;
  int line = 0;  // of the session in the scenario file (or of the matrix cell's expectation), 0 if none
  Outcome outcome = Outcome::Failed;
  std::string expected;
  bool pass = false;
  PeerResult offerer_result, answerer_result;
  AttackerSessionReport attacker;
  double ice_ms = -1, dtls_ms = -1, total_ms = -1;
  // Ended by the run before it settled: by the deadline or a stop from
  // outside, and what its peers were still waiting for ("bob was waiting
  // for the users' out-of-band comparison"). See is_final().
  CutBy cut = CutBy::None;
  std::string waiting_for;
};

struct RunResult {
  std::string scenario, file, attack, trust;
  std::uint64_t seed = 0;
  std::vector<SessionResult> sessions;
  std::vector<TimelineEvent> timeline;
  std::string error;             // the simulator itself failed (exit 3), else empty
  std::uint32_t deadline_ms = 0;  // the scenario's
  bool deadline_reached = false;
  bool interrupted = false;      // stopped from outside (SIGINT/SIGTERM) before it finished
  double duration_ms = 0;
  std::string network;           // "127.a.b.0/24"
};

bool all_passed(const RunResult& r);

}  // namespace sigtrust
