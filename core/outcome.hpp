// The outcome vocabulary of docs/architecture.md and the one classifier that maps ground
// truth + what peers noticed to an outcome. Pure; no attack-specific code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sigtrust {

enum class Outcome { Secure, MitmUndetected, MitmDetectedLate, Detected, Failed, Error };

std::string_view to_string(Outcome o);
std::optional<Outcome> outcome_from_string(std::string_view s);
// The names a scenario may expect (all but "error", which is never an attack's outcome).
const std::vector<std::string>& expectable_outcome_names();

// The owner the ground truth gives a certificate no node registered.
inline constexpr std::string_view kUnregisteredOwner = "unknown";

// What the engine knows about one end of a session.
struct EndTruth {
  bool handshake_done = false;  // DTLS handshake completed and the trust policy let it proceed
  bool entered_data_phase = false;  // the peer went on to exchange application data
  std::string dtls_peer_owner;  // owner of the certificate it saw ("" if none, "unknown" if unregistered)
  std::string intended_peer;  // who it meant to talk to
  std::vector<std::string> alarms;  // alarms this peer raised
};

struct SessionTruth {
  EndTruth offerer;
  EndTruth answerer;
  bool attacker_read_plaintext = false;
  bool simulator_error = false;
};

// docs/architecture.md "Ground truth and the one classifier":
//  - the classifier fails closed: a peer in the data phase whose certificate
//    the ground truth does not know (none recorded, or one no node
//    registered) is a simulator failure, error, never a verdict;
//  - a peer that entered the data phase with someone other than its intended
//    peer is compromised: mitm-detected-late if any alarm was raised, else
//    mitm-undetected (plaintext read by the attacker is recorded separately);
//  - both ends in the data phase with their intended peer: secure;
//  - otherwise detected if any alarm was raised, else failed.
Outcome classify(const SessionTruth& t);

// A session the run ended before it settled (the deadline, or a stop from
// outside) has an outcome of what happened until then. Only an outcome a
// later event cannot change is a finding: `detected` (an alarm was raised
// and no data went) and `failed` (nothing connected by the deadline: the
// denial of service it means). Anything connected could still have raised
// an alarm, so it is provisional; so is every outcome of an interrupted
// session. A provisional outcome never meets an expectation.
enum class CutBy { None, Deadline, Interrupted };
std::string_view to_string(CutBy c);  // "", "deadline", "interrupted"
bool is_final(Outcome o, CutBy cut);

}  // namespace sigtrust
