// Fuzzes what the MITM bridge does by hand with media (net/srtp_session): the RFC 7983
// demultiplexing, RTP and RTCP header parsing, and SRTP/SRTCP unprotect of packets from the
// network, then protect and unprotect of what it forwards. An input is a sequence of packets:
//   per packet: a control byte (bit 0: as SRTCP; bit 1: first protect it with the victim's
//   context, so most packets authenticate and the code past the tag check runs; bit 2: profile
//   AES128_CM_HMAC_SHA1_32 instead of _80), a length byte and that many bytes.
// Properties: nothing crashes or trips a sanitizer; a parsed RTP header lies inside the packet;
// a packet the victim protected unprotects to exactly what it protected, unless libsrtp2 refuses
// it as a replay or as unprotectable; what the attacker then protects for the other victim
// unprotects there to the same bytes.
#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "net/srtp_session.hpp"
#include "fuzz/fuzz_check.hpp"

using sigtrust::DtlsRole;
using sigtrust::SrtpKeys;
using sigtrust::SrtpProfile;
using sigtrust::fuzz::check;

namespace {

SrtpKeys keys(SrtpProfile profile) {
  SrtpKeys k;
  k.profile = profile;
  for (std::uint8_t i = 0; i < 16; ++i) {
    k.client_key.push_back(i);
    k.server_key.push_back(static_cast<std::uint8_t>(0x80 + i));
  }
  for (std::uint8_t i = 0; i < 14; ++i) {
    k.client_salt.push_back(static_cast<std::uint8_t>(0x40 + i));
    k.server_salt.push_back(static_cast<std::uint8_t>(0xC0 + i));
  }
  return k;
}

struct Contexts {
  // Leg 0: the victim is the DTLS client, the attacker the server; leg 1 the other way round.
  sigtrust::SrtpContext victim_out, attacker_in, attacker_out, other_victim_in;
};

sigtrust::SrtpContext context(SrtpProfile profile, DtlsRole role, sigtrust::SrtpContext::Direction d) {
  auto c = sigtrust::SrtpContext::make(keys(profile), role, d);
  check(c.ok(), "SrtpContext::make", c.ok() ? "" : c.error().message);
  return std::move(*c);
}

Contexts make(SrtpProfile profile) {
  using D = sigtrust::SrtpContext::Direction;
  return {context(profile, DtlsRole::Client, D::Outbound), context(profile, DtlsRole::Server, D::Inbound),
          context(profile, DtlsRole::Client, D::Outbound), context(profile, DtlsRole::Server, D::Inbound)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Fresh contexts per input (replay state must not carry over), made only when used.
  std::optional<Contexts> c80, c32;
  for (std::size_t at = 0; at + 2 <= size;) {
    const std::uint8_t control = data[at];
    const std::size_t length = std::min<std::size_t>(data[at + 1], size - at - 2);
    std::vector<std::uint8_t> packet(data + at + 2, data + at + 2 + length);
    at += 2 + length;
    auto& slot = control & 4 ? c32 : c80;
    if (!slot) slot.emplace(make(control & 4 ? SrtpProfile::Aes128CmHmacSha1_32 : SrtpProfile::Aes128CmHmacSha1_80));
    Contexts& c = *slot;
    const bool rtcp = control & 1;

    (void)sigtrust::is_rtp_or_rtcp(packet);
    (void)sigtrust::is_rtcp(packet);
    (void)sigtrust::parse_rtcp_sender(packet);
    if (const auto h = sigtrust::parse_rtp(packet))
      check(h->header_size >= 12 && h->header_size + h->payload_size <= packet.size(), "parse_rtp: inside the packet");

    std::vector<std::uint8_t> plain = packet;
    bool protected_by_victim = false;
    if (control & 2) protected_by_victim = c.victim_out.protect(packet, rtcp);
    if (!c.attacker_in.unprotect(packet, rtcp)) continue;
    if (protected_by_victim) check(packet == plain, "unprotect(protect(p)) == p");
    std::vector<std::uint8_t> forwarded = packet;
    if (!c.attacker_out.protect(forwarded, rtcp)) continue;
    // The other victim may refuse it as a replay (the same index forwarded twice), never change it.
    if (c.other_victim_in.unprotect(forwarded, rtcp))
      check(forwarded == packet, "what the bridge forwards arrives unchanged");
  }
  return 0;
}
