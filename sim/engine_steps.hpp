// The pure steps of a run (sim/engine.cpp runs them in this order, between
// the steps that touch sockets): the result's header, the rounds and their
// batches, the configuration of each peer, and the judging of each session.
// None of them does I/O; tests/sim/engine_test.cpp tests each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/c_entry.hpp"
#include "core/run_result.hpp"
#include "core/timeline.hpp"
#include "net/ice_agent.hpp"
#include "sim/attack.hpp"
#include "sim/peer.hpp"
#include "sim/scenario.hpp"

namespace sigtrust::engine {

// Sessions of a round started together at most, when the round may be run
// in batches: what one main loop carries at full speed (docs/architecture.md,
// measured facts: 20 at once at 1.5 ms of CPU each).
inline constexpr std::size_t kBatchSessions = 32;

// "alice+tofu" style label of the run's trust configurations: one label when
// every peer has the same, else "alice=x,bob=y".
std::string trust_label(const scenario::Scenario& s);

// Where an exception stopped at a C callback during a run goes (core/c_entry.hpp):
// a run.error event in the timeline and, if the run has none yet, the run's
// error. It is a failure of the simulator, so the run is an `error`, never an
// attack outcome.
CEntryReport callback_failure_reporter(Timeline& timeline, RunResult& result);

// The result of a run before anything ran: what ran, with which seed and deadline.
RunResult result_header(const scenario::Scenario& s);

// The signaling room of session `index`: "/s<index>-<offerer>-<answerer>".
std::string room_of(std::size_t index, const scenario::SessionSpec& session);

// The rounds of the scenario in ascending order, each once.
std::vector<std::uint32_t> rounds_of(const scenario::Scenario& s);

// The sessions (indices into s.sessions, in file order) of `round`, cut
// into batches of at most `batch_limit`.
std::vector<std::vector<std::size_t>> batches_of(const scenario::Scenario& s, std::uint32_t round,
                                                 std::size_t batch_limit = kBatchSessions);

// Which STUN/TURN servers the peers gather from: the honest ones (coturn,
// if the scenario names it) and the attacker's node at its position.
struct IceServers {
  std::optional<IceServer> stun, turn;  // honest
  std::optional<IceServer> attacker_stun, attacker_turn;  // the attack's own nodes
};

// Where one end of a session sits in the run's world, and what the run made
// for it (out-of-band channel, IdP, keys, continuity store).
struct PeerPlacement {
  std::size_t session = 0;
  bool offerer = true;
  unsigned peer_index = 0;  // into s.peers
  std::string address;  // its loopback address
  std::string relay_url;  // the relay serving its batch, without the room
  TrustContext trust;  // oob, idp, own_key, pinned_key, tofu; params come from the scenario
};

// The configuration of one end of a session, from the scenario alone:
// servers (an attacked session gathers from the attacker's node at its
// position), ICE policy, relay URL, trust, and the messages it sends and waits for.
PeerConfig peer_config(const scenario::Scenario& s, const PeerPlacement& where, const IceServers& servers);

// How a session stood when the run ended (from its two peers).
struct SessionEnd {
  const PeerReport* offerer = nullptr;  // null for both when the session never began
  const PeerReport* answerer = nullptr;
  bool settled = false;  // nothing more would have happened
  std::string waiting_for;  // what its unsettled peers were waiting for ("alice was waiting for ...")
};

// One session judged: ground truth from the registry, the attacker's take,
// the outcome from classify(), whether it met the expectation, timings.
struct Judgement {
  SessionResult session;
  // Set when the classifier failed closed for want of ground truth (a peer
  // exchanged data with a certificate nobody registered): the run's failure.
  std::string unaccounted;
};
Judgement judge_session(const scenario::Scenario& s, std::size_t index, const SessionEnd& end, const RunResult& run,
                        const CertificateRegistry& registry,
                        const std::map<std::string, AttackerSessionReport>& attacker_sessions);

}  // namespace sigtrust::engine
