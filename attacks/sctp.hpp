// SCTP as WebRTC data channels carry it inside DTLS (RFC 8261), read and
// rewritten by the man in the middle. Pure functions of bytes, no I/O: the
// bridge forwards every packet between its legs and hands each one here to
// record the chat and, if asked, to replace message payloads.
//
// Everything here reads bytes a victim (or anyone able to write into a DTLS
// leg) chose: malformed input is an Error or a counted, skipped packet, never
// an assert, an exception or a read out of bounds (docs/architecture.md, convention 5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace sigtrust::attacks::sctp {

// CRC32c (Castagnoli, reflected, initial value and final XOR 0xFFFFFFFF), as
// SCTP uses it (RFC 9260 Appendix A; RFC 3720 B.4 test vectors). The value is
// the one those vectors quote, e.g. 0x8A9136AA for 32 zero bytes; SCTP puts
// it into the common header least significant byte first (see Packet::checksum).
std::uint32_t crc32c(std::span<const std::uint8_t> data);

// The CRC32c an SCTP packet should carry: computed over the whole packet with
// its checksum field taken as zero (RFC 9260 §6.8). Needs at least 12 bytes;
// returns 0 for less.
std::uint32_t packet_crc32c(std::span<const std::uint8_t> packet);

// Chunk types this module names (RFC 9260 §3.2; RFC 8260 for I-DATA).
enum ChunkType : std::uint8_t {
  kData = 0,
  kInit = 1,
  kInitAck = 2,
  kSack = 3,
  kHeartbeat = 4,
  kHeartbeatAck = 5,
  kAbort = 6,
  kShutdown = 7,
  kCookieEcho = 10,
  kCookieAck = 11,
  kIData = 64,
  kReconfig = 130,
  kForwardTsn = 192,
};

// WebRTC data channel payload protocol identifiers (RFC 8831 §8, RFC 8832 §8.1).
enum Ppid : std::uint32_t {
  kPpidDcep = 50,
  kPpidString = 51,
  kPpidBinaryPartial = 52,  // deprecated
  kPpidBinary = 53,
  kPpidStringPartial = 54,  // deprecated
  kPpidStringEmpty = 56,
  kPpidBinaryEmpty = 57,
};

// One DATA chunk (type 0, RFC 9260 §3.3.1).
struct DataChunk {
  std::uint32_t tsn = 0;
  std::uint16_t stream = 0;
  std::uint16_t ssn = 0;
  std::uint32_t ppid = 0;
  bool unordered = false, begin = false, end = false;
  std::vector<std::uint8_t> payload;

  bool operator==(const DataChunk&) const = default;
};

struct Packet {
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t verification_tag = 0;
  // As crc32c() returns it: the header's four checksum bytes read least
  // significant first (RFC 9260 Appendix A), so that a correct packet has
  // checksum == packet_crc32c(bytes).
  std::uint32_t checksum = 0;
  bool checksum_ok = false;  // also true when checksum is 0 (RFC 9653 zero checksum)
  std::vector<std::uint8_t> chunk_types;  // every chunk's type, in order
  std::vector<DataChunk> data;  // the DATA chunks, in order
  // From an INIT or INIT ACK chunk (RFC 9260 §3.3.2, §3.3.3): the TSN the
  // sender of this packet will give its first DATA chunk.
  std::optional<std::uint32_t> initial_tsn;
  // From a FORWARD TSN chunk (RFC 3758 §3.2): the sender has abandoned every
  // DATA chunk up to this TSN (partially reliable channels, RFC 8831 §6.1).
  std::optional<std::uint32_t> forward_tsn;
};

// Parses one SCTP packet. Structure only: a wrong checksum is reported in
// checksum_ok, not refused. Refused, with a reason such as "chunk 3 (type 0)
// length 70000 past end of packet": fewer than 12 bytes; a chunk whose header,
// length or padding (RFC 9260 §3.2: every chunk padded to 4 bytes) does not fit
// in the packet; a chunk length under 4; a DATA chunk under 16 bytes; an INIT
// or INIT ACK under 20 bytes, a FORWARD TSN under 8.
Result<Packet> parse_packet(std::span<const std::uint8_t> bytes);

// A whole data-channel message as the application sent it.
struct ChannelMessage {
  enum class Kind {
    Text,  // PPID 51, and the deprecated 54 (each part its own message)
    Binary,  // PPID 53, and the deprecated 52 (each part its own message)
    EmptyText,  // PPID 56 (RFC 8831 §6.6: an empty message is sent as one byte)
    EmptyBinary,  // PPID 57
    Open,  // DCEP DATA_CHANNEL_OPEN (PPID 50, type 0x03)
    Ack,  // DCEP DATA_CHANNEL_ACK (PPID 50, type 0x02)
    Other,  // any other PPID, or a DCEP message that does not parse
  };
  Kind kind = Kind::Other;
  std::uint16_t stream = 0;
  std::string label;  // the channel's label from its DCEP OPEN, if seen (for every kind)
  std::string protocol;  // the channel's protocol from its DCEP OPEN, if seen
  std::string data;  // payload (text or raw bytes); empty for Empty*; for Open: the label
  std::uint32_t ppid = 0;
  std::uint32_t first_tsn = 0;
  bool unordered = false;
  // Open only (RFC 8832 §5.1).
  std::uint8_t channel_type = 0;
  std::uint16_t priority = 0;
  std::uint32_t reliability = 0;
};

// What the DCEP OPENs seen so far said about each stream. Give the decoders of
// both directions the same table: a channel is opened by one side, and the
// other side's messages on that stream should carry its label too (RFC 8832
// §6: the stream identifier names the channel in both directions).
struct ChannelTable {
  struct Channel {
    std::string label, protocol;
    std::uint8_t channel_type = 0;
    std::uint16_t priority = 0;
    std::uint32_t reliability = 0;
  };
  std::map<std::uint16_t, Channel> channels;
};

struct DecoderLimits {
  std::size_t max_message_bytes = 1 << 20;  // a longer message is dropped and counted
  std::size_t max_buffered_bytes = 4 << 20;  // payload held for incomplete messages
  std::size_t max_buffered_fragments = 4096;  // fragments held for incomplete messages
  std::uint32_t tsn_window = 1 << 16;  // TSNs remembered to spot retransmissions
};

// Decodes the chat one SCTP sender sends: one decoder per direction.
// Reassembles fragmented messages (RFC 9260 §6.9: a message's fragments carry
// consecutive TSNs, first with B, last with E; ordered ones also share stream
// and SSN), in whatever order the fragments come; decodes each DATA chunk
// once, however often it is retransmitted; skips packets with a wrong checksum
// (the receiver discards them too, RFC 9260 §6.8). Memory is bounded by
// DecoderLimits: a message over max_message_bytes, or squeezed out of the
// buffers by newer ones, is dropped and counted in dropped(). An INIT or INIT
// ACK from this sender starts its TSNs afresh (RFC 9260 §5.2.4 restart); a
// FORWARD TSN abandons the partial messages it covers (RFC 3758 §3.6).
// I-DATA chunks (RFC 8260 message interleaving, which WebRTC stacks do not
// negotiate by default) are listed in chunk_types but not decoded.
class ChatDecoder {
 public:
  explicit ChatDecoder(std::shared_ptr<ChannelTable> channels = nullptr, DecoderLimits limits = {});
  ~ChatDecoder();
  ChatDecoder(ChatDecoder&&) noexcept;
  ChatDecoder& operator=(ChatDecoder&&) noexcept;

  // Feeds one SCTP packet (one DTLS record's plaintext) and returns the
  // messages it completed, in the order they completed.
  std::vector<ChannelMessage> feed(std::span<const std::uint8_t> packet);

  std::size_t malformed() const;  // packets parse_packet refused
  std::size_t bad_checksum() const;  // packets skipped for a wrong checksum
  std::size_t dropped() const;  // messages dropped for the limits
  std::size_t duplicates() const;  // DATA chunks ignored as already seen
  const ChannelTable& channels() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Called for each whole message the rewriter may replace: returns the new
// payload, or nullopt to leave it alone.
using PayloadRewrite =
    std::function<std::optional<std::string>(std::uint16_t stream, std::uint32_t ppid, std::string_view payload)>;

// Returns a copy of `packet` in which every DATA chunk that holds a whole
// message (B and E set) of PPID 51 (text) or 53 (binary), and for which
// `rewrite` returns a value, carries that value instead: chunk length and
// padding fixed, every other chunk byte for byte as it was, CRC32c recomputed
// (left 0 if it was 0: RFC 9653 zero checksum). An empty new payload is sent
// as browsers send an empty message (RFC 8831 §6.6): PPID 56 or 57 and one
// zero byte. A message fragmented over several chunks (longer than about
// 1,100 bytes from a browser) is not offered: its fragments' TSNs are fixed.
// `rewrite` sees a retransmitted chunk again and should give the same answer
// (the receiver may already hold the first copy).
// nullopt if the packet does not parse, its checksum is wrong (its receiver
// would drop it; a fixed checksum would make it accept it), nothing changed,
// or the packet would grow past max_packet_bytes (by default what one DTLS
// record can carry, RFC 6347 §4.1 / RFC 5246 §6.2.1: 2^14 bytes of
// plaintext). A payload that would make its chunk longer than 65535 bytes is
// left as it was.
std::optional<std::vector<std::uint8_t>> rewrite_packet(std::span<const std::uint8_t> packet,
                                                        const PayloadRewrite& rewrite,
                                                        std::size_t max_packet_bytes = 1 << 14);

}  // namespace sigtrust::attacks::sctp
