// Signaling protocols other than sigtrust's own, turned into the events the
// attacks and the live judge understand (offer, answer, candidate, other) and
// back. Pure functions of text: no I/O, no GLib, so the parsers are fuzzed and
// unit-tested on their own (docs/architecture.md, "Protocol logic without
// I/O").
//
// Two protocols:
//  - PeerJS's PeerServer protocol (peerjs 1.5 clients, PeerServer 1.0):
//    frames {"type","src","dst","payload"}; OFFER and ANSWER carry the SDP at
//    payload.sdp.sdp, CANDIDATE the trickled candidate at payload.candidate,
//    and payload.connectionId names the PeerJS connection;
//  - generic JSON over WebSocket: the SDP and the candidate found at JSON
//    Pointers (RFC 6901) the user names.
//
// An interceptor sees the internal form (core/signaling_message: {"type":
// "offer","sdp":…}); what it delivers is patched into the original frame, so
// every field the protocol carries besides the SDP and the candidate reaches
// the other end unchanged.
//
// Error policy: frames come from the network. Anything malformed is an Error
// with a reason, never an exception or a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/signaling_message.hpp"

namespace sigtrust {

// Parses untrusted JSON text with the relay's limits (size, nesting depth).
Result<nlohmann::json> parse_bounded_json(std::string_view text);

// ---- PeerJS ---------------------------------------------------------------

struct PeerJsMessage {
  std::string type;  // "OFFER", "ANSWER", "CANDIDATE", "LEAVE", "HEARTBEAT", …
  std::string src, dst;  // peer ids ("" when absent)
  nlohmann::json payload;  // null when absent
  std::string connection_id;  // payload.connectionId, for OFFER / ANSWER / CANDIDATE
  std::string sdp;  // payload.sdp.sdp (OFFER, ANSWER)
  nlohmann::json candidate;  // payload.candidate (CANDIDATE)
};

// The longest peer id or connection id accepted (PeerJS makes 36-character UUIDs).
inline constexpr size_t kMaxPeerJsId = 64;

// A valid PeerJS id: 1-64 of [A-Za-z0-9_-], starting and ending with a letter
// or digit, with single dashes, spaces or underscores inside, as PeerJS's own
// client checks (util.validateId) — without spaces, which a URL would mangle.
bool valid_peerjs_id(std::string_view id);

// A frame as a PeerJS client or a PeerServer sends it. OFFER, ANSWER and
// CANDIDATE must carry a dst, a connectionId and their SDP or candidate;
// other types are returned as they are (the server decides what it knows).
Result<PeerJsMessage> parse_peerjs(std::string_view text);

// The frame a PeerServer relays: {"type","src","dst","payload"} (only these
// fields, as PeerServer 1.0 does), payload omitted when null.
std::string peerjs_frame(const PeerJsMessage& m);

// OFFER, ANSWER and CANDIDATE as the internal signaling text; nothing for the rest.
std::optional<std::string> peerjs_to_internal(const PeerJsMessage& m);

// `original` with the SDP or candidate of `internal` (an internal message as
// an interceptor delivered it) put in its place.
Result<PeerJsMessage> peerjs_from_internal(PeerJsMessage original, std::string_view internal);

// ---- generic JSON over WebSocket ----------------------------------------

struct JsonPointerPaths {
  nlohmann::json::json_pointer sdp;
  std::optional<nlohmann::json::json_pointer> candidate;
};

// Reads "/a/b" as a JSON Pointer (RFC 6901); an Error names what is wrong.
Result<nlohmann::json::json_pointer> parse_json_pointer(const std::string& text);

struct PointerMessage {
  nlohmann::json frame;  // the whole frame, parsed
  enum class Kind { Sdp, Candidate, Other } kind = Kind::Other;
  std::string sdp;  // the string at the SDP pointer
  nlohmann::json candidate;  // {"candidate": …} normalized from the candidate pointer
};

// A frame of an application's own JSON signaling: an SDP where `paths.sdp`
// points (a string that starts like SDP: "v="), or a candidate where
// `paths.candidate` points (a candidate line, or an object with one under
// "candidate"), or something else (forwarded untouched).
Result<PointerMessage> parse_pointer_message(std::string_view text, const JsonPointerPaths& paths);

// The internal text for an SDP frame (offer or answer: the caller knows which
// by the order of the session) or a candidate frame.
std::string pointer_to_internal(const PointerMessage& m, SignalingMessage::Type sdp_type);

// `original` with the SDP or candidate of `internal` written back where the pointers say.
Result<std::string> pointer_from_internal(const PointerMessage& original, const JsonPointerPaths& paths,
                                          std::string_view internal);

}  // namespace sigtrust
