// What the bridge does by hand with media (RFC 5764 DTLS-SRTP): tell RTP
// and RTCP from DTLS on the one ICE transport (RFC 7983), read RTP/RTCP
// headers, and one direction of SRTP/SRTCP protection (libsrtp2) keyed from
// a DTLS leg's EXTRACTOR-dtls_srtp output.
//
// Error policy: every packet comes from the network. A header that does not
// parse, a packet that fails authentication or replay checks, is a `false`
// or nullopt the caller counts and logs; nothing here asserts on input.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/dtls_endpoint.hpp"
#include "core/result.hpp"

namespace sigtrust {

// RFC 7983 §7: a first byte in 128..191 is RTP or RTCP (20..63 is DTLS).
bool is_rtp_or_rtcp(std::span<const std::uint8_t> datagram);
// RFC 5761 §4: on a shared port, packet types 192..223 (RTP payload types
// 64..95 with the marker bit) are RTCP.
bool is_rtcp(std::span<const std::uint8_t> packet);

// RFC 3550 §5.1, validated: version 2, CSRC list and header extension inside the packet.
struct RtpHeader {
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  size_t header_size = 0;  // where the payload starts
  size_t payload_size = 0;  // without padding
};
std::optional<RtpHeader> parse_rtp(std::span<const std::uint8_t> packet);
// RFC 3550 §6.4: the sender's SSRC of the first RTCP packet of a compound one.
std::optional<std::uint32_t> parse_rtcp_sender(std::span<const std::uint8_t> packet);

// One direction of one DTLS-SRTP association: inbound (unprotects what a
// victim sent) or outbound (protects what goes to a victim).
class SrtpContext {
 public:
  enum class Direction { Inbound, Outbound };
  // `keys` from DtlsEndpoint::srtp_keys(); `local_role` the attacker's DTLS
  // role on that leg (RFC 5764 §4.2: the client writes with the client key).
  static Result<SrtpContext> make(const SrtpKeys& keys, DtlsRole local_role, Direction direction);

  SrtpContext(SrtpContext&&) noexcept;
  SrtpContext& operator=(SrtpContext&&) noexcept;
  ~SrtpContext();

  // In place. Unprotect shrinks the packet; protect grows it (the buffer is
  // resized). False: malformed, unauthenticated or replayed (the packet is
  // left unusable).
  bool unprotect(std::vector<std::uint8_t>& packet, bool rtcp);
  bool protect(std::vector<std::uint8_t>& packet, bool rtcp);

 private:
  struct Impl;
  explicit SrtpContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sigtrust
