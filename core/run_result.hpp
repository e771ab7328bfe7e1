// What one run produced: per session, ground truth, what each peer noticed,
// the outcome and whether it met the expectation; plus the timeline. Reports
// only read this.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"
#include "core/sdp.hpp"
#include "core/timeline.hpp"
#include "core/transport.hpp"

namespace sigtrust {

// Where a peer got to. The result document writes the name (to_string); a
// live browser whose description was delivered but that completed no DTLS
// handshake is in Ice (connecting).
enum class PeerState { New, Signaling, Ice, Dtls, Verifying, Data, Done, Failed, Closed };

inline std::string_view to_string(PeerState s) {
  switch (s) {
    case PeerState::New: return "new";
    case PeerState::Signaling: return "signaling";
    case PeerState::Ice: return "ice";
    case PeerState::Dtls: return "dtls";
    case PeerState::Verifying: return "verifying";
    case PeerState::Data: return "data";
    case PeerState::Done: return "done";
    case PeerState::Failed: return "failed";
    case PeerState::Closed: return "closed";
  }
  return "new";
}

struct PeerReport {
  std::string name;
  std::string trust;
  PeerState state = PeerState::New;
  std::string failure;  // why it failed, if it did
  std::optional<DtlsRole> dtls_role;
  std::string sdp_sent, sdp_received;
  std::vector<sdp::Fingerprint> expected_fingerprints;  // from the SDP it received
  std::optional<sdp::Fingerprint> dtls_peer_fingerprint;  // sha-256 of the certificate it saw, if it saw one
  std::optional<SelectedPair> selected_pair;
  std::vector<std::string> local_addresses;  // of its candidates
  std::vector<std::string> alarms;
  bool handshake_done = false;
  bool entered_data_phase = false;
  std::vector<std::string> sent, received;
  // A call (the session's `media: [audio]`): RTP packets of its tone it sent,
  // packets of the other side's it received (authenticated by SRTP), and
  // packets it refused (malformed, unauthenticated, replayed or unkeyed).
  bool media = false;
  std::uint64_t media_sent = 0, media_received = 0, media_rejected = 0;
  double t_start_ms = -1, t_ice_ms = -1, t_dtls_ms = -1, t_done_ms = -1;
};

// What the attacker got out of one session (one relay room).
struct AttackerSessionReport {
  std::vector<std::string> plaintext_read;  // application messages it decrypted
  std::uint64_t ciphertext_bytes = 0;  // bytes it carried or recorded
  std::vector<std::string> rewritten;  // "from -> to" for messages changed in flight
  unsigned dtls_legs = 0;  // DTLS handshakes it completed with victims (bridges)
  std::optional<sdp::Fingerprint> certificate_fingerprint;  // of the certificate it presented in them, if any
  // Ground truth per victim: the victims whose DTLS handshake with the
  // attacker completed (each of them authenticated the attacker's
  // certificate), and the DTLS-SRTP profile of that leg ("" without use_srtp).
  std::vector<std::string> legs_connected;
  std::map<std::string, std::string> srtp_profiles;
  // Media it decrypted (SRTP through the bridge), per SSRC.
  struct MediaStream {
    std::string from;  // the victim that sent it
    std::string kind;  // "audio", "video" (from the SDP's m= line), "" if unknown
    std::string codec;  // the a=rtpmap encoding, e.g. "opus/48000/2"
    int payload_type = -1;
    std::uint64_t packets = 0, bytes = 0;  // RTP packets and payload bytes read
    std::uint64_t undecodable =
        0;  // payloads the recorder could not decode (VP8: malformed, or ending an incomplete frame)
    std::vector<std::string> files;  // recordings written (Opus: a WAV file, VP8: an IVF file)
  };
  std::map<std::uint32_t, MediaStream> media;
  std::uint64_t rtcp_packets = 0;  // SRTCP packets it decrypted and forwarded
  std::uint64_t media_rejected = 0;  // RTP/RTCP malformed, unauthenticated, replayed or unroutable
  // sas-grind-mitm: key shares tried on its DTLS-client leg, and whether one
  // gave that leg the other leg's SAS.
  std::uint64_t grind_tries = 0;
  bool grind_matched = false;
};

// The key of AttackWorld::sessions (and of what an attack reports) for
// attacks that see no signaling rooms (the STUN/TURN positions): the engine
// applies that report to every attacked session of the run.
inline constexpr const char* kAllSessions = "*";

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
  std::string error;  // the simulator itself failed (exit 3), else empty
  std::uint32_t deadline_ms = 0;  // the scenario's
  bool deadline_reached = false;
  bool interrupted = false;  // stopped from outside (SIGINT/SIGTERM) before it finished
  double duration_ms = 0;
  std::string network;  // "127.a.b.0/24"
};

bool all_passed(const RunResult& r);

}  // namespace sigtrust
