// SDP (RFC 8866) parser and writer, in the shape WebRTC uses for a data
// channel (RFC 8841), plus typed accessors for the attributes sigtrust
// inspects and rewrites. Pure functions of text: no I/O, no GLib.
//
// Error policy: SDP arrives from the network (through a possibly malicious
// relay), so malformed text is a Result error with a reason and the 1-based
// line number, never an assert or crash. Unknown lines and attributes are kept
// verbatim, in order, so parse(write(parse(x))) == parse(x) and a rewrite
// touches only what it means to touch.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace sigtrust::sdp {

// One `a=` line: `a=name` (flag) or `a=name:value`.
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Attribute&) const = default;
};

// One `x=...` line that is not `a=` and not `m=`, kept verbatim (type + text after '=').
struct Line {
  char type = 0;
  std::string text;
  bool operator==(const Line&) const = default;
};

struct Media {
  std::string media;  // "application"
  std::uint16_t port = 0;  // 9
  std::string proto;  // "UDP/DTLS/SCTP"
  std::vector<std::string> formats;  // {"webrtc-datachannel"}
  std::vector<Line> lines;  // i=, c=, b=, k= in order
  std::vector<Attribute> attributes;
  bool operator==(const Media&) const = default;
};

struct Session {
  std::vector<Line> lines;  // v=, o=, s=, t=, c=, b=, ... session-level, in order
  std::vector<Attribute> attributes;  // session-level a=
  std::vector<Media> media;
  bool operator==(const Session&) const = default;
};

// Parses SDP text. Accepts CRLF or LF line endings. Rejects (with a reason
// naming the 1-based line): empty input, a first line that is not v=0, lines
// not of the form `<letter>=<text>`, an m= line without port/proto/format or
// with a non-numeric port, control characters / NUL, input over 64 KiB.
Result<Session> parse(std::string_view text);

// Writes SDP text with CRLF line endings (RFC 8866 §5).
std::string write(const Session& session);

// ----- Typed views -------------------------------------------------------

// RFC 8122 §5: `a=fingerprint:<hash-func> <fingerprint>`. The one type for a
// certificate fingerprint everywhere: a Certificate's own, the lines of an
// SDP, what a trust policy compares, the ground truth's owners, and the
// result types; text only at the edges (parse_fingerprint from an SDP or a
// client's report, format_fingerprint into an SDP, an event or a report).
// hash and value are kept as written (rendering gives back the text parsed)
// but compared case-insensitively: RFC 8122 §5 writes upper-case hex and
// receivers must accept both. value is upper-case hex pairs separated by ':'
// when written by us.
struct Fingerprint {
  std::string hash;  // "sha-256"
  std::string value;  // "AB:CD:..."
  // Same hash function and same digest (case-insensitive).
  friend bool operator==(const Fingerprint& a, const Fingerprint& b);
  // An order consistent with ==, for maps keyed by fingerprint.
  friend std::strong_ordering operator<=>(const Fingerprint& a, const Fingerprint& b);
};
Result<Fingerprint> parse_fingerprint(std::string_view attribute_value);
std::string format_fingerprint(const Fingerprint& fp);  // "sha-256 AB:CD:..."
// As above, and "" for none (e.g. a peer that saw no certificate).
std::string format_fingerprint(const std::optional<Fingerprint>& fp);

// RFC 8839 §5.1 candidate-attribute.
struct Candidate {
  std::string foundation;
  std::uint32_t component = 1;
  std::string transport;  // "UDP" / "udp" / "tcp"
  std::uint32_t priority = 0;
  std::string address;
  std::uint16_t port = 0;
  std::string type;  // host, srflx, prflx, relay
  std::optional<std::string> related_address;
  std::optional<std::uint16_t> related_port;
  std::vector<std::pair<std::string, std::string>> extensions;  // e.g. {"tcptype","active"}, {"generation","0"}
  bool operator==(const Candidate&) const = default;
};
Result<Candidate> parse_candidate(std::string_view attribute_value);  // value after "candidate:"
std::string format_candidate(const Candidate& c);  // value without "candidate:"

// Attributes looked up first at media level (the first media section),
// falling back to session level, as RFC 8122 §5 and RFC 8839 allow.
struct TransportInfo {
  std::optional<std::string> ice_ufrag;
  std::optional<std::string> ice_pwd;
  std::optional<std::string> setup;  // actpass / active / passive / holdconn
  std::vector<Fingerprint> fingerprints;  // media-level if any there, else session-level
  std::vector<Candidate> candidates;  // unparsable candidate lines are skipped, listed in bad_candidates
  std::vector<std::string> bad_candidates;
  bool end_of_candidates = false;
  std::optional<std::string> mid;
};
TransportInfo transport_info(const Session& s);

// Helpers for rewriting (used by attacks and tests). `media_index` -1 means session level.
std::vector<Attribute>& attributes_at(Session& s, int media_index);
std::vector<const Attribute*> find_all(const Session& s, int media_index, std::string_view name);
void remove_all(Session& s, int media_index, std::string_view name);
void set_single(Session& s, int media_index, std::string_view name, std::string value);  // replaces all, or appends

// Builds the offer/answer a browser would send for a data channel (RFC 8841):
// v=, o=- <sess-id> 2 IN IP4 127.0.0.1, s=-, t=0 0, a=group:BUNDLE 0,
// a=extmap-allow-mixed, a=msid-semantic: WMS, one m=application 9
// UDP/DTLS/SCTP webrtc-datachannel with c=IN IP4 0.0.0.0, a=ice-ufrag,
// a=ice-pwd, a=ice-options:trickle, a=fingerprint (one per entry), a=setup,
// a=mid:0, a=sctp-port:5000, a=max-message-size:262144, a=candidate per
// candidate, a=end-of-candidates.
struct DataChannelDescription {
  std::uint64_t session_id = 0;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<Fingerprint> fingerprints;
  std::string setup;  // actpass (offer) / active / passive (answer)
  std::vector<Candidate> candidates;
  // A call as well: an m=audio section after the data channel's, bundled
  // with it (RFC 8843), carrying Opus (a=rtpmap:<audio_payload_type>
  // opus/48000/2, RFC 7587) over SRTP keyed by the same DTLS (RFC 5764).
  bool audio = false;
  int audio_payload_type = 111;
};
Session make_data_channel(const DataChannelDescription& d);

}  // namespace sigtrust::sdp
