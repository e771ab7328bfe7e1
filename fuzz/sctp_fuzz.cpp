// Fuzzes attacks/sctp, which reads the SCTP packets two victims send each other through the
// bridge. An input is a sequence of packets for one pair of chat decoders:
//   byte 0: bit 0 picks tiny DecoderLimits (so the caps, drops and evictions are reached);
//   then per packet: a control byte (bits 0-1: 0 keep the checksum as it is, 1 write the right
//   CRC32c, 2 write zero, 3 the right one too; bit 2: the other direction; bit 3: rewrite with a
//   64-byte packet limit instead of 16 KiB), a length byte and that many bytes (fewer at the end
//   of the input).
// Without the harness fixing the checksum nearly every mutated packet would be a bad-checksum
// packet the decoder skips.
// Properties: nothing crashes or trips a sanitizer; parse_packet either refuses with a reason or
// lists as many DATA chunks as chunk types 0; every packet fed is counted once (messages,
// malformed or bad checksum); no message is longer than the limit or than the payload bytes fed;
// rewrite_packet with a rewrite that changes lengths returns a packet that parses, has a correct
// (or still zero) checksum, the same chunks in the same order, the same DATA chunk headers, the
// new payloads exactly where a whole text or binary message was, and is returned whenever
// something was to be changed within the size limit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attacks/sctp.hpp"
#include "fuzz/fuzz_check.hpp"

using sigtrust::fuzz::check;
namespace sctp = sigtrust::attacks::sctp;

namespace {

// Shorter by half, longer by three bytes, or empty, by the payload's first byte.
std::optional<std::string> edit(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  switch (static_cast<unsigned char>(payload[0]) % 4) {
    case 0: return std::nullopt;
    case 1: return std::string(payload.substr(0, payload.size() / 2));
    case 2: return std::string(payload) + "+++";
    default: return std::string();
  }
}

void check_rewrite(std::span<const std::uint8_t> bytes, const sctp::Packet& in, std::size_t max_packet_bytes) {
  const auto out = sctp::rewrite_packet(
      bytes, [](std::uint16_t, std::uint32_t, std::string_view p) { return edit(p); }, max_packet_bytes);

  // What should change, and the size that makes.
  std::size_t expected_size = bytes.size();
  bool expect_change = false;
  for (const auto& d : in.data) {
    if (!d.begin || !d.end || (d.ppid != sctp::kPpidString && d.ppid != sctp::kPpidBinary)) continue;
    const std::string_view payload(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
    auto r = edit(payload);
    if (!r || *r == payload) continue;
    const std::size_t new_payload = r->empty() ? 1 : r->size();
    if (16 + new_payload > 0xFFFF) continue;
    expected_size += ((16 + new_payload + 3) & ~std::size_t{3}) - ((16 + d.payload.size() + 3) & ~std::size_t{3});
    expect_change = true;
  }
  if (!in.checksum_ok || !expect_change || expected_size > max_packet_bytes) {
    check(!out, "rewrite_packet: nullopt when nothing may change");
    return;
  }
  check(out.has_value(), "rewrite_packet: a change within the limit is made");
  check(out->size() == expected_size, "rewrite_packet: size follows the new payloads");
  const auto again = sctp::parse_packet(*out);
  check(again.ok(), "rewrite_packet: the result parses", again.ok() ? "" : again.error().message);
  check(again->checksum_ok, "rewrite_packet: the result's checksum is right");
  if (in.checksum == 0) {
    check(again->checksum == 0, "rewrite_packet: a zero checksum stays zero");
  } else {
    check(again->checksum == sctp::packet_crc32c(*out), "rewrite_packet: CRC32c recomputed");
  }
  check(again->chunk_types == in.chunk_types, "rewrite_packet: same chunks in the same order");
  check(again->src_port == in.src_port && again->dst_port == in.dst_port &&
            again->verification_tag == in.verification_tag,
        "rewrite_packet: common header kept");
  check(again->data.size() == in.data.size(), "rewrite_packet: same DATA chunks");
  for (std::size_t i = 0; i < in.data.size(); ++i) {
    const auto& a = in.data[i];
    const auto& b = again->data[i];
    check(a.tsn == b.tsn && a.stream == b.stream && a.ssn == b.ssn && a.unordered == b.unordered &&
              a.begin == b.begin && a.end == b.end,
          "rewrite_packet: DATA chunk headers kept");
    std::optional<std::string> r;
    if (a.begin && a.end && (a.ppid == sctp::kPpidString || a.ppid == sctp::kPpidBinary)) {
      r = edit(std::string_view(reinterpret_cast<const char*>(a.payload.data()), a.payload.size()));
      if (r && 16 + (r->empty() ? 1 : r->size()) > 0xFFFF) r.reset();
    }
    if (!r) {
      check(b == a, "rewrite_packet: other DATA chunks unchanged");
    } else if (r->empty()) {
      check(b.ppid == (a.ppid == sctp::kPpidString ? sctp::kPpidStringEmpty : sctp::kPpidBinaryEmpty) &&
                b.payload == std::vector<std::uint8_t>{0},
            "rewrite_packet: empty message as PPID 56/57 and one byte");
    } else {
      check(b.ppid == a.ppid && std::string(b.payload.begin(), b.payload.end()) == *r,
            "rewrite_packet: the new payload");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  sctp::DecoderLimits limits;
  if (data[0] & 1) {
    limits.max_message_bytes = 64;
    limits.max_buffered_bytes = 256;
    limits.max_buffered_fragments = 8;
    limits.tsn_window = 16;
  }
  auto table = std::make_shared<sctp::ChannelTable>();
  sctp::ChatDecoder decoders[2] = {sctp::ChatDecoder(table, limits), sctp::ChatDecoder(table, limits)};
  std::size_t fed[2] = {0, 0}, accepted[2] = {0, 0}, payload_bytes[2] = {0, 0}, message_bytes[2] = {0, 0};

  for (std::size_t at = 1; at + 2 <= size;) {
    const std::uint8_t control = data[at];
    const std::size_t length = std::min<std::size_t>(data[at + 1], size - at - 2);
    std::vector<std::uint8_t> packet(data + at + 2, data + at + 2 + length);
    at += 2 + length;
    if (packet.size() >= 12 && (control & 3) != 0) {
      const std::uint32_t crc = (control & 3) == 2 ? 0 : sctp::packet_crc32c(packet);
      for (int i = 0; i < 4; ++i) packet[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    }

    const auto parsed = sctp::parse_packet(packet);
    if (!parsed) {
      check(!parsed.error().message.empty(), "parse_packet: a refusal has a reason");
    } else {
      std::size_t data_chunks = 0;
      for (const auto t : parsed->chunk_types) data_chunks += t == sctp::kData;
      check(data_chunks == parsed->data.size(), "parse_packet: one DataChunk per chunk of type 0");
      check(parsed->checksum_ok == (parsed->checksum == 0 || parsed->checksum == sctp::packet_crc32c(packet)),
            "parse_packet: checksum_ok");
      check_rewrite(packet, *parsed, control & 8 ? 64 : 1 << 14);
    }

    const int dir = (control >> 2) & 1;
    auto& d = decoders[dir];
    const auto messages = d.feed(packet);
    ++fed[dir];
    if (parsed && parsed->checksum_ok) {
      ++accepted[dir];
      for (const auto& c : parsed->data) payload_bytes[dir] += c.payload.size();
    }
    for (const auto& m : messages) {
      check(m.data.size() <= limits.max_message_bytes, "ChatDecoder: no message over the limit");
      message_bytes[dir] += m.data.size();
      using Kind = sctp::ChannelMessage::Kind;
      if (m.kind == Kind::EmptyText || m.kind == Kind::EmptyBinary)
        check(m.data.empty(), "ChatDecoder: empty is empty");
      if (m.kind == Kind::Open) check(m.data == m.label, "ChatDecoder: an Open carries its label");
    }
    check(d.malformed() + d.bad_checksum() + accepted[dir] == fed[dir], "ChatDecoder: every packet counted once");
    check(message_bytes[dir] <= payload_bytes[dir], "ChatDecoder: no more message bytes than payload bytes fed");
  }
  return 0;
}
