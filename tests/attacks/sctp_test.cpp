// attacks/sctp: CRC32c against published vectors, the checksum's place in real
// SCTP packets (pion's captured INIT, and tshark's verdict on packets built
// here), the chat decoder (fragments, retransmissions, DCEP, limits) and the
// payload rewriter, and malformed input refused without a crash.
#include "attacks/sctp.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace sigtrust::attacks::sctp {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Kind = ChannelMessage::Kind;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

void append_be16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void append_be32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (24 - 8 * i)));
}

// RFC 9260 §3.2: type, flags, length (without padding), value, zero padding to 4 bytes.
Bytes chunk(std::uint8_t type, std::uint8_t flags, const Bytes& value) {
  Bytes b{type, flags};
  append_be16(b, static_cast<std::uint16_t>(4 + value.size()));
  b.insert(b.end(), value.begin(), value.end());
  while (b.size() % 4) b.push_back(0);
  return b;
}

constexpr std::uint8_t kB = 0x02, kE = 0x01, kU = 0x04;

// RFC 9260 §3.3.1.
Bytes data(std::uint32_t tsn, std::uint16_t stream, std::uint16_t ssn, std::uint32_t ppid, const Bytes& payload,
           std::uint8_t flags = kB | kE) {
  Bytes v;
  append_be32(v, tsn);
  append_be16(v, stream);
  append_be16(v, ssn);
  append_be32(v, ppid);
  v.insert(v.end(), payload.begin(), payload.end());
  return chunk(kData, flags, v);
}
Bytes text(std::uint32_t tsn, std::uint16_t stream, std::uint16_t ssn, std::string_view s,
           std::uint8_t flags = kB | kE) {
  return data(tsn, stream, ssn, kPpidString, bytes_of(s), flags);
}

// RFC 8832 §5.1.
Bytes dcep_open(std::string_view label, std::string_view protocol, std::uint8_t channel_type = 0,
                std::uint16_t priority = 256, std::uint32_t reliability = 0) {
  Bytes v{0x03, channel_type};
  append_be16(v, priority);
  append_be32(v, reliability);
  append_be16(v, static_cast<std::uint16_t>(label.size()));
  append_be16(v, static_cast<std::uint16_t>(protocol.size()));
  v.insert(v.end(), label.begin(), label.end());
  v.insert(v.end(), protocol.begin(), protocol.end());
  return v;
}

// RFC 9260 §3.3.4: cumulative TSN ack, a_rwnd, no gap blocks or duplicates.
Bytes sack(std::uint32_t cumulative) {
  Bytes v;
  append_be32(v, cumulative);
  append_be32(v, 131072);
  append_be16(v, 0);
  append_be16(v, 0);
  return chunk(kSack, 0, v);
}

// RFC 9260 §3.3.2: INIT (or INIT ACK) with no optional parameters.
Bytes init(std::uint32_t initial_tsn, std::uint8_t type = kInit) {
  Bytes v;
  append_be32(v, 0xA1B2C3D4);  // initiate tag
  append_be32(v, 131072);  // a_rwnd
  append_be16(v, 1024);
  append_be16(v, 1024);
  append_be32(v, initial_tsn);
  return chunk(type, 0, v);
}

Bytes forward_tsn(std::uint32_t cumulative) {
  Bytes v;
  append_be32(v, cumulative);
  return chunk(kForwardTsn, 0, v);
}

// Common header (ports 5000 as browsers use, RFC 8841 §5) and the chunks; the
// CRC32c stored least significant byte first (RFC 9260 Appendix A), or 0.
Bytes packet(const std::vector<Bytes>& chunks, bool zero_checksum = false, std::uint32_t vtag = 0x12345678) {
  Bytes p;
  append_be16(p, 5000);
  append_be16(p, 5000);
  append_be32(p, vtag);
  append_be32(p, 0);
  for (const auto& c : chunks) p.insert(p.end(), c.begin(), c.end());
  if (!zero_checksum) {
    const std::uint32_t crc = packet_crc32c(p);
    for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  }
  return p;
}

Packet parsed(const Bytes& b) {
  auto p = parse_packet(b);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : Packet{};
}

std::string error_of(const Bytes& b) {
  const auto p = parse_packet(b);
  return p.ok() ? std::string("(accepted)") : p.error().message;
}

// ----- CRC32c -------------------------------------------------------------------

TEST(Crc32c, Rfc3720TestVectors) {
  // RFC 3720 Appendix B.4 (the CRC bytes listed there are the value least significant first).
  EXPECT_EQ(crc32c(Bytes(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(crc32c(Bytes(32, 0xFF)), 0x62A8AB43u);
  Bytes up(32), down(32);
  for (std::size_t i = 0; i < 32; ++i) {
    up[i] = static_cast<std::uint8_t>(i);
    down[i] = static_cast<std::uint8_t>(31 - i);
  }
  EXPECT_EQ(crc32c(up), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down), 0x113FDB5Cu);
  // The iSCSI SCSI Read (10) command PDU of the same appendix.
  const Bytes pdu{0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                  0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(crc32c(pdu), 0xD9963A56u);
}

TEST(Crc32c, CheckValueAndEmptyInput) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);  // the catalogue check value of CRC-32C
  EXPECT_EQ(crc32c({}), 0u);
}

// ----- the checksum in real packets ---------------------------------------------------

// pion/sctp's packet_test.go: a header-only packet its marshaller wrote, and an
// INIT as a WebRTC stack sends it (ports 5000; supported extensions, random,
// chunk list, HMAC algorithms), both with the checksum pion verifies.
const Bytes kPionHeaderOnly{0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x06, 0xa9, 0x00, 0xe1};
const Bytes kPionInit{0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x81, 0x46, 0x9d, 0xfc, 0x01, 0x00, 0x00,
                      0x56, 0x55, 0xb9, 0x64, 0xa5, 0x00, 0x02, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0xe8, 0x6d,
                      0x10, 0x30, 0xc0, 0x00, 0x00, 0x04, 0x80, 0x08, 0x00, 0x09, 0xc0, 0x0f, 0xc1, 0x80, 0x82,
                      0x00, 0x00, 0x00, 0x80, 0x02, 0x00, 0x24, 0x9f, 0xeb, 0xbb, 0x5c, 0x50, 0xc9, 0xbf, 0x75,
                      0x9c, 0xb1, 0x2c, 0x57, 0x4f, 0xa4, 0x5a, 0x51, 0xba, 0x60, 0x17, 0x78, 0x27, 0x94, 0x5c,
                      0x31, 0xe6, 0x5d, 0x5b, 0x09, 0x47, 0xe2, 0x22, 0x06, 0x80, 0x04, 0x00, 0x06, 0x00, 0x01,
                      0x00, 0x00, 0x80, 0x03, 0x00, 0x06, 0x80, 0xc1, 0x00, 0x00};

TEST(SctpChecksum, ReadLeastSignificantByteFirstAsRealStacksWriteIt) {
  const Packet header = parsed(kPionHeaderOnly);
  EXPECT_TRUE(header.checksum_ok);
  EXPECT_EQ(header.checksum, 0xE100A906u);
  EXPECT_EQ(packet_crc32c(kPionHeaderOnly), 0xE100A906u);
  EXPECT_TRUE(header.chunk_types.empty());

  const Packet init_packet = parsed(kPionInit);
  EXPECT_TRUE(init_packet.checksum_ok);
  EXPECT_EQ(init_packet.checksum, 0xFC9D4681u);
  EXPECT_EQ(init_packet.src_port, 5000);
  EXPECT_EQ(init_packet.dst_port, 5000);
  EXPECT_EQ(init_packet.verification_tag, 0u);  // RFC 9260 §8.5.1: 0 in a packet with INIT
  EXPECT_EQ(init_packet.chunk_types, (std::vector<std::uint8_t>{kInit}));
  ASSERT_TRUE(init_packet.initial_tsn);
  EXPECT_EQ(*init_packet.initial_tsn, 0xE86D1030u);

  // The other byte order is what a reader that got it wrong would accept: it must not match.
  Bytes swapped = kPionInit;
  std::swap(swapped[8], swapped[11]);
  std::swap(swapped[9], swapped[10]);
  EXPECT_FALSE(parsed(swapped).checksum_ok);
}

TEST(SctpChecksum, AnyFlippedBitIsCaughtAndZeroIsAccepted) {
  for (std::size_t i = 0; i < kPionInit.size(); ++i) {
    Bytes b = kPionInit;
    b[i] ^= 0x10;
    const auto p = parse_packet(b);
    if (p.ok()) {
      EXPECT_FALSE(p->checksum_ok) << "byte " << i;
    }
  }
  Bytes zero = kPionInit;
  std::fill(zero.begin() + 8, zero.begin() + 12, 0);
  const Packet p = parsed(zero);
  EXPECT_EQ(p.checksum, 0u);
  EXPECT_TRUE(p.checksum_ok);  // RFC 9653
}

// Runs a shell command, returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* f = ::popen(command.c_str(), "r");
  if (!f) return out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), f)) > 0;) out.append(buf.data(), n);
  ::pclose(f);
  return out;
}

// A pcap (LINKTYPE_RAW: IPv4 with no link header) holding each SCTP packet in
// an IPv4 datagram, protocol 132 (RFC 9260 §1), for tshark to dissect.
void write_pcap(const std::filesystem::path& path, const std::vector<Bytes>& packets) {
  auto le32 = [](Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  Bytes file;
  le32(file, 0xA1B2C3D4);
  file.insert(file.end(), {2, 0, 4, 0});  // version 2.4
  le32(file, 0);
  le32(file, 0);
  le32(file, 65535);
  le32(file, 101);  // LINKTYPE_RAW
  for (std::size_t i = 0; i < packets.size(); ++i) {
    Bytes ip{0x45, 0};
    append_be16(ip, static_cast<std::uint16_t>(20 + packets[i].size()));
    ip.insert(ip.end(), {0, 0, 0, 0, 64, 132, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1});
    le32(file, static_cast<std::uint32_t>(i + 1));
    le32(file, 0);
    le32(file, static_cast<std::uint32_t>(ip.size() + packets[i].size()));
    le32(file, static_cast<std::uint32_t>(ip.size() + packets[i].size()));
    file.insert(file.end(), ip.begin(), ip.end());
    file.insert(file.end(), packets[i].begin(), packets[i].end());
  }
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// Wireshark's SCTP and WebRTC data channel dissectors, not this module, judge
// the packets this module checks and writes: a DCEP OPEN bundled with a text
// message, the same rewritten, and, as a control, the checksum in the wrong byte
// order. Checksum status: 1 good, 0 bad. Reassembly and TSN analysis are off:
// the rewritten packet repeats the original's TSNs, which Wireshark would take
// for a retransmission and not dissect again.
TEST(SctpChecksum, TsharkAgreesWithPacketsBuiltAndRewrittenHere) {
  ASSERT_FALSE(run("command -v tshark").empty()) << "tshark not installed (scripts/install-deps installs it)";
  const Bytes original = packet({data(1000, 1, 0, kPpidDcep, dcep_open("chat", "x-proto")), text(1001, 1, 1, "hello")});
  const auto rewritten = rewrite_packet(original, [](std::uint16_t, std::uint32_t, std::string_view) {
    return std::optional<std::string>("hello, rewritten by the bridge");
  });
  ASSERT_TRUE(rewritten);
  Bytes wrong_order = original;
  std::swap(wrong_order[8], wrong_order[11]);
  std::swap(wrong_order[9], wrong_order[10]);

  const auto pcap = std::filesystem::temp_directory_path() / ("sigtrust-sctp-" + std::to_string(::getpid()) + ".pcap");
  write_pcap(pcap, {original, *rewritten, wrong_order});
  const std::string out = run("tshark -r " + pcap.string() +
                              " -o sctp.checksum:CRC-32C -o sctp.reassembly:FALSE -o sctp.tsn_analysis:FALSE -T fields "
                              "-E separator='|' -E occurrence=a"
                              " -e sctp.checksum.status -e sctp.data_tsn_raw -e sctp.data_payload_proto_id"
                              " -e rtcdc.label -e rtcdc.protocol -e data.data 2>/dev/null");
  std::filesystem::remove(pcap);
  const auto rows = lines(out);
  ASSERT_EQ(rows.size(), 3u) << out;
  auto hex = [](std::string_view s) {
    std::string h;
    for (const unsigned char c : s) {
      static constexpr char kDigits[] = "0123456789abcdef";
      h += kDigits[c >> 4];
      h += kDigits[c & 15];
    }
    return h;
  };
  EXPECT_EQ(rows[0], "1|1000,1001|50,51|chat|x-proto|" + hex("hello"));
  EXPECT_EQ(rows[1], "1|1000,1001|50,51|chat|x-proto|" + hex("hello, rewritten by the bridge"));
  EXPECT_EQ(rows[2].substr(0, 2), "0|") << rows[2];
}

// ----- parse_packet ---------------------------------------------------------------

TEST(ParsePacket, ReadsEveryChunkAndTheDataChunks) {
  const Bytes b =
      packet({sack(41), data(42, 3, 7, kPpidBinary, {1, 2, 3}, kU | kB), chunk(kHeartbeat, 0, {0, 1, 0, 4})});
  const Packet p = parsed(b);
  EXPECT_TRUE(p.checksum_ok);
  EXPECT_EQ(p.verification_tag, 0x12345678u);
  EXPECT_EQ(p.chunk_types, (std::vector<std::uint8_t>{kSack, kData, kHeartbeat}));
  ASSERT_EQ(p.data.size(), 1u);
  const DataChunk& d = p.data[0];
  EXPECT_EQ(d.tsn, 42u);
  EXPECT_EQ(d.stream, 3);
  EXPECT_EQ(d.ssn, 7);
  EXPECT_EQ(d.ppid, kPpidBinary);
  EXPECT_TRUE(d.unordered);
  EXPECT_TRUE(d.begin);
  EXPECT_FALSE(d.end);
  EXPECT_EQ(d.payload, (Bytes{1, 2, 3}));
}

TEST(ParsePacket, RefusesMalformedPacketsWithAReason) {
  const Bytes ok = packet({text(1, 0, 0, "hi")});
  EXPECT_EQ(error_of({}), "packet of 0 bytes is shorter than the 12-byte SCTP common header");
  EXPECT_EQ(error_of(Bytes(ok.begin(), ok.begin() + 11)),
            "packet of 11 bytes is shorter than the 12-byte SCTP common header");

  // A chunk header cut short.
  Bytes truncated = packet({});
  truncated.insert(truncated.end(), {0, 3});
  EXPECT_EQ(error_of(truncated), "chunk 1 header truncated: 2 bytes left at offset 12");

  // Chunk length 0 (RFC 9260 §3.2: at least the 4 bytes of its header).
  EXPECT_EQ(error_of(packet({sack(1), Bytes{0, 0, 0, 0}})), "chunk 2 (type 0) length 0 is under 4");

  // Length past the end.
  Bytes past = packet({sack(1), text(2, 0, 0, "hey!")});
  past[28 + 2] = 0x01;  // the DATA chunk's length, after header and SACK: 0x0114 = 276
  EXPECT_EQ(error_of(past), "chunk 2 (type 0) length 276 past end of packet (20 bytes left)");
  Bytes huge = packet({text(2, 0, 0, "hey!")});
  huge[14] = 0xFF;
  huge[15] = 0xFF;
  EXPECT_EQ(error_of(huge), "chunk 1 (type 0) length 65535 past end of packet (20 bytes left)");

  // Padding: the last chunk (length 21) without its 3 bytes of padding, or with 1 of them.
  Bytes unpadded = packet({text(9, 0, 0, "hello")});
  unpadded.erase(unpadded.end() - 3, unpadded.end());
  EXPECT_EQ(error_of(unpadded), "chunk 1 (type 0) length 21 is not padded to 4 bytes at the end of the packet");
  unpadded.push_back(0);
  EXPECT_EQ(error_of(unpadded), "chunk 1 (type 0) length 21 is not padded to 4 bytes at the end of the packet");
  // Bytes after the last chunk that cannot be a chunk.
  Bytes trailing = packet({sack(1)});
  trailing.insert(trailing.end(), {0, 0});
  EXPECT_EQ(error_of(trailing), "chunk 2 header truncated: 2 bytes left at offset 28");

  // Chunks too short for what their type must hold.
  EXPECT_EQ(error_of(packet({chunk(kData, 3, Bytes(11, 0))})),
            "chunk 1 (type 0) length 15 is under the 16 bytes of a DATA chunk header");
  EXPECT_EQ(error_of(packet({chunk(kInit, 0, Bytes(15, 0))})),
            "chunk 1 (type 1) length 19 is under the 20 bytes of an INIT or INIT ACK");
  EXPECT_EQ(error_of(packet({chunk(kForwardTsn, 0, Bytes(3, 0))})),
            "chunk 1 (type 192) length 7 is under the 8 bytes of a FORWARD TSN");
}

TEST(ParsePacket, AcceptsWhatTheRfcAllows) {
  // RFC 9260 §3.2: the receiver ignores the padding's value.
  Bytes nonzero_padding = packet({text(1, 0, 0, "hello"), sack(1)}, true);
  nonzero_padding[12 + 21] = 0xAA;
  const Packet p = parsed(nonzero_padding);
  ASSERT_EQ(p.data.size(), 1u);
  EXPECT_EQ(text_of(p.data[0].payload), "hello");
  // A DATA chunk with no user data is well formed, if a protocol error (§6.2).
  EXPECT_TRUE(parse_packet(packet({data(1, 0, 0, kPpidString, {})})).ok());
  // A chunk of an unknown type.
  EXPECT_EQ(parsed(packet({chunk(0x3F, 0, {1, 2, 3, 4, 5})})).chunk_types, (std::vector<std::uint8_t>{0x3F}));
}

TEST(ParsePacket, RandomBytesNeverCrash) {
  std::mt19937 rng(9);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 80);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    if (b.size() >= 16 && (i & 1)) {  // half of them with a plausible first chunk length
      b[14] = 0;
      b[15] = static_cast<std::uint8_t>(rng() % (b.size() - 8));
    }
    const auto p = parse_packet(b);
    if (!p.ok()) {
      EXPECT_FALSE(p.error().message.empty());
    }
    ChatDecoder d;
    d.feed(b);
    EXPECT_EQ(d.malformed() + d.bad_checksum() + (p.ok() && p->checksum_ok ? 1u : 0u), 1u);
    (void)rewrite_packet(b, [](std::uint16_t, std::uint32_t, std::string_view) { return std::string("x"); });
  }
}

// ----- ChatDecoder ----------------------------------------------------------------

TEST(ChatDecoder, WholeTextAndBinaryMessages) {
  ChatDecoder d;
  const auto m = d.feed(packet({sack(1), text(100, 1, 0, "hi there"), data(101, 1, 1, kPpidBinary, {0, 1, 255})}));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, Kind::Text);
  EXPECT_EQ(m[0].data, "hi there");
  EXPECT_EQ(m[0].stream, 1);
  EXPECT_EQ(m[0].ppid, kPpidString);
  EXPECT_EQ(m[0].first_tsn, 100u);
  EXPECT_EQ(m[1].kind, Kind::Binary);
  EXPECT_EQ(m[1].data, std::string("\0\1\xff", 3));
  EXPECT_EQ(d.malformed() + d.dropped() + d.duplicates(), 0u);
}

TEST(ChatDecoder, FragmentedMessageAcrossThreePackets) {
  ChatDecoder d;
  EXPECT_TRUE(d.feed(packet({text(7, 2, 4, "The quick ", kB)})).empty());
  EXPECT_TRUE(d.feed(packet({text(8, 2, 4, "brown fox ", 0)})).empty());
  const auto m = d.feed(packet({text(9, 2, 4, "jumps", kE)}));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, Kind::Text);
  EXPECT_EQ(m[0].data, "The quick brown fox jumps");
  EXPECT_EQ(m[0].first_tsn, 7u);
  EXPECT_EQ(m[0].stream, 2);
}

TEST(ChatDecoder, FragmentsInAnyOrderAndAcrossTsnWraparound) {
  ChatDecoder d;
  // The middle fragment lost before the bridge and retransmitted last.
  EXPECT_TRUE(d.feed(packet({text(0xFFFFFFFF, 0, 0, "a", kB)})).empty());
  EXPECT_TRUE(d.feed(packet({text(1, 0, 0, "c", kE)})).empty());
  const auto m = d.feed(packet({text(0, 0, 0, "b", 0)}));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "abc");
  EXPECT_EQ(m[0].first_tsn, 0xFFFFFFFFu);

  // Backwards: E, middle, B.
  EXPECT_TRUE(d.feed(packet({text(4, 0, 1, "3", kE)})).empty());
  EXPECT_TRUE(d.feed(packet({text(3, 0, 1, "2", 0)})).empty());
  const auto n = d.feed(packet({text(2, 0, 1, "1", kB)}));
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].data, "123");
}

TEST(ChatDecoder, UnorderedAndOrderedFragmentsDoNotMix) {
  ChatDecoder d;
  // TSN 10-11 unordered on stream 1, 12-13 ordered on stream 1: adjacent TSNs of different messages.
  const auto m = d.feed(packet({text(10, 1, 0, "un", kU | kB), text(11, 1, 0, "ordered", kU | kE),
                                text(12, 1, 5, "or", kB), text(13, 1, 5, "dered", kE)}));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].data, "unordered");
  EXPECT_TRUE(m[0].unordered);
  EXPECT_EQ(m[1].data, "ordered");
  EXPECT_FALSE(m[1].unordered);
  // A fragment of another stream, or another SSN, next in TSN is not a continuation.
  EXPECT_TRUE(d.feed(packet({text(20, 1, 6, "x", kB), text(21, 3, 6, "y", kE), text(22, 1, 7, "z", kE)})).empty());
}

TEST(ChatDecoder, RetransmittedDataIsIgnored) {
  ChatDecoder d;
  const Bytes first = packet({text(50, 0, 0, "once")});
  EXPECT_EQ(d.feed(first).size(), 1u);
  EXPECT_TRUE(d.feed(first).empty());
  // Retransmitted bundled with a new chunk, in another packet (RFC 9260 §6.3.3).
  const auto m = d.feed(packet({sack(9), text(50, 0, 0, "once"), text(51, 0, 1, "twice")}));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "twice");
  // A retransmitted fragment does not duplicate its message either.
  EXPECT_TRUE(d.feed(packet({text(52, 0, 2, "fr", kB)})).empty());
  EXPECT_TRUE(d.feed(packet({text(52, 0, 2, "fr", kB)})).empty());
  EXPECT_EQ(d.feed(packet({text(53, 0, 2, "agment", kE)})).size(), 1u);
  EXPECT_TRUE(d.feed(packet({text(53, 0, 2, "agment", kE)})).empty());
  EXPECT_EQ(d.duplicates(), 4u);
  // Far behind the window: taken as seen.
  EXPECT_TRUE(d.feed(packet({text(53 - (1u << 17), 0, 3, "old")})).empty());
  EXPECT_EQ(d.duplicates(), 5u);
}

TEST(ChatDecoder, DcepOpenLabelsTheChannelInBothDirections) {
  auto table = std::make_shared<ChannelTable>();
  ChatDecoder alice(table), bob(table);
  const auto open = alice.feed(packet({data(1, 4, 0, kPpidDcep, dcep_open("chat", "json", 0x81, 512, 3))}));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].kind, Kind::Open);
  EXPECT_EQ(open[0].data, "chat");
  EXPECT_EQ(open[0].label, "chat");
  EXPECT_EQ(open[0].protocol, "json");
  EXPECT_EQ(open[0].channel_type, 0x81);  // DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED
  EXPECT_EQ(open[0].priority, 512);
  EXPECT_EQ(open[0].reliability, 3u);

  const auto ack = bob.feed(packet({data(900, 4, 0, kPpidDcep, {0x02})}));
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].kind, Kind::Ack);
  EXPECT_EQ(ack[0].label, "chat");

  const auto a = alice.feed(packet({text(2, 4, 1, "hi bob")}));
  const auto b = bob.feed(packet({text(901, 4, 1, "hi alice")}));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].label, "chat");
  EXPECT_EQ(b[0].label, "chat");
  EXPECT_EQ(b[0].protocol, "json");
  // Another stream has no label.
  const auto other = alice.feed(packet({text(3, 6, 0, "?")}));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].label, "");
  EXPECT_EQ(table->channels.size(), 1u);
}

TEST(ChatDecoder, MalformedDcepIsOther) {
  ChatDecoder d;
  Bytes long_label = dcep_open("chat", "");
  long_label[9] = 50;  // label length past the message
  const auto m = d.feed(packet(
      {data(1, 0, 0, kPpidDcep, long_label), data(2, 0, 1, kPpidDcep, {0x07}), data(3, 0, 2, kPpidDcep, {0x03, 0})}));
  ASSERT_EQ(m.size(), 3u);
  for (const auto& x : m) EXPECT_EQ(x.kind, Kind::Other);
  EXPECT_TRUE(d.channels().channels.empty());
}

TEST(ChatDecoder, EmptyAndDeprecatedAndOtherPpids) {
  ChatDecoder d;
  const auto m = d.feed(packet({data(1, 0, 0, kPpidStringEmpty, {0}), data(2, 0, 1, kPpidBinaryEmpty, {0}),
                                data(3, 0, 2, kPpidStringPartial, bytes_of("part")),
                                data(4, 0, 3, kPpidBinaryPartial, {9}), data(5, 0, 4, 0, bytes_of("raw"))}));
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].kind, Kind::EmptyText);
  EXPECT_EQ(m[0].data, "");
  EXPECT_EQ(m[1].kind, Kind::EmptyBinary);
  EXPECT_EQ(m[1].data, "");
  EXPECT_EQ(m[2].kind, Kind::Text);
  EXPECT_EQ(m[2].data, "part");
  EXPECT_EQ(m[2].ppid, kPpidStringPartial);
  EXPECT_EQ(m[3].kind, Kind::Binary);
  EXPECT_EQ(m[4].kind, Kind::Other);
  EXPECT_EQ(m[4].data, "raw");
}

TEST(ChatDecoder, MalformedAndBadChecksumPacketsAreCountedAndSkipped) {
  ChatDecoder d;
  EXPECT_TRUE(d.feed(Bytes{1, 2, 3}).empty());
  Bytes zero_length = packet({Bytes{0, 3, 0, 0}});
  EXPECT_TRUE(d.feed(zero_length).empty());
  Bytes bad = packet({text(1, 0, 0, "forged")});
  bad.back() ^= 1;  // in the padding: only the checksum tells
  EXPECT_TRUE(d.feed(bad).empty());
  EXPECT_EQ(d.malformed(), 2u);
  EXPECT_EQ(d.bad_checksum(), 1u);
  // The receiver discarded it, so the sender's retransmission is the first copy.
  EXPECT_EQ(d.feed(packet({text(1, 0, 0, "forged")})).size(), 1u);
  // Zero checksum (RFC 9653) is fine.
  EXPECT_EQ(d.feed(packet({text(2, 0, 1, "zero")}, true)).size(), 1u);
}

TEST(ChatDecoder, OversizedMessageIsDroppedAndCounted) {
  DecoderLimits limits;
  limits.max_message_bytes = 10;
  ChatDecoder d(nullptr, limits);
  EXPECT_TRUE(d.feed(packet({text(1, 0, 0, "01234567890")})).empty());
  EXPECT_EQ(d.dropped(), 1u);
  // Fragments: dropped once the total passes the limit, the rest as it comes.
  EXPECT_TRUE(d.feed(packet({text(2, 0, 1, "012345", kB), text(3, 0, 1, "678901", 0)})).empty());
  EXPECT_EQ(d.dropped(), 2u);
  EXPECT_TRUE(d.feed(packet({text(4, 0, 1, "more", 0)})).empty());
  EXPECT_TRUE(d.feed(packet({text(5, 0, 1, "end", kE)})).empty());
  EXPECT_EQ(d.dropped(), 2u);
  // And the next message is whole again.
  const auto m = d.feed(packet({text(6, 0, 2, "ok", kB), text(7, 0, 2, "!", kE)}));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "ok!");
  EXPECT_EQ(d.dropped(), 2u);
}

TEST(ChatDecoder, PartialMessagesAreCapped) {
  DecoderLimits limits;
  limits.max_buffered_fragments = 8;
  limits.max_buffered_bytes = 1000;
  ChatDecoder d(nullptr, limits);
  // 20 messages begun on 20 streams (TSN 0, 2, 4, ...), none finished.
  for (std::uint16_t s = 0; s < 20; ++s) EXPECT_TRUE(d.feed(packet({text(2u * s, s, 0, "begin", kB)})).empty());
  EXPECT_EQ(d.dropped(), 12u);  // the oldest went
  // The newest can still finish; an evicted one cannot.
  const auto m = d.feed(packet({text(39, 19, 0, " end", kE)}));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "begin end");
  EXPECT_TRUE(d.feed(packet({text(1, 0, 0, " end", kE)})).empty());

  // Bytes: a 600-byte fragment and a second one push the first out.
  ChatDecoder e(nullptr, limits);
  EXPECT_TRUE(e.feed(packet({text(1, 0, 0, std::string(600, 'a'), kB)})).empty());
  EXPECT_TRUE(e.feed(packet({text(10, 1, 0, std::string(600, 'b'), kB)})).empty());
  EXPECT_EQ(e.dropped(), 1u);
}

TEST(ChatDecoder, InitStartsANewTsnSequence) {
  ChatDecoder d;
  EXPECT_EQ(d.feed(packet({text(500, 0, 0, "before")})).size(), 1u);
  EXPECT_TRUE(d.feed(packet({text(501, 0, 1, "half", kB)})).empty());
  // Association restart (RFC 9260 §5.2.4): new INIT, TSNs start over, the
  // same numbers again are new data; the half message is gone.
  EXPECT_TRUE(d.feed(packet({init(500)}, false, 0)).empty());
  EXPECT_EQ(d.dropped(), 1u);
  const auto m = d.feed(packet({text(500, 0, 0, "after")}));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data, "after");
}

TEST(ChatDecoder, ForwardTsnAbandonsPartialMessages) {
  ChatDecoder d;
  EXPECT_TRUE(d.feed(packet({text(10, 2, 0, "lost", kU | kB)})).empty());
  EXPECT_TRUE(d.feed(packet({forward_tsn(11)})).empty());
  EXPECT_EQ(d.dropped(), 1u);
  EXPECT_EQ(d.feed(packet({text(12, 2, 0, "next", kU | kB | kE)})).size(), 1u);
}

// ----- rewrite_packet ---------------------------------------------------------

std::optional<std::string> to(std::string s) { return s; }

TEST(RewritePacket, LongerAndShorterTextLeavesOtherChunksAlone) {
  const Bytes the_sack = sack(77);
  const Bytes original = packet({the_sack, text(78, 1, 3, "meet at noon"), chunk(kHeartbeat, 0, {0, 1, 0, 5, 9})});
  for (const std::string& replacement : {std::string("meet at midnight, by the old mill"), std::string("no")}) {
    std::vector<std::tuple<std::uint16_t, std::uint32_t, std::string>> calls;
    const auto out = rewrite_packet(original, [&](std::uint16_t stream, std::uint32_t ppid, std::string_view p) {
      calls.emplace_back(stream, ppid, std::string(p));
      return to(replacement);
    });
    ASSERT_TRUE(out);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0], std::make_tuple(std::uint16_t{1}, std::uint32_t{kPpidString}, std::string("meet at noon")));
    const Packet p = parsed(*out);
    EXPECT_TRUE(p.checksum_ok);
    EXPECT_NE(p.checksum, 0u);
    EXPECT_EQ(p.chunk_types, (std::vector<std::uint8_t>{kSack, kData, kHeartbeat}));
    ASSERT_EQ(p.data.size(), 1u);
    EXPECT_EQ(text_of(p.data[0].payload), replacement);
    EXPECT_EQ(p.data[0].tsn, 78u);
    EXPECT_EQ(p.data[0].stream, 1);
    EXPECT_EQ(p.data[0].ssn, 3);
    EXPECT_EQ(p.data[0].ppid, kPpidString);
    EXPECT_TRUE(p.data[0].begin && p.data[0].end);
    // Header but checksum, the SACK before and the HEARTBEAT after: byte for byte.
    EXPECT_TRUE(std::equal(original.begin(), original.begin() + 8, out->begin()));
    EXPECT_TRUE(std::equal(the_sack.begin(), the_sack.end(), out->begin() + 12));
    EXPECT_TRUE(std::equal(original.end() - 12, original.end(), out->end() - 12));
    EXPECT_EQ(out->size() - original.size(),
              ((16 + replacement.size() + 3) & ~std::size_t{3}) - 28);  // the DATA chunk's padded lengths
    EXPECT_EQ(out->size() % 4, 0u);
    // The padding written is zeros.
    const std::size_t data_end = 12 + 16 + 16 + replacement.size();
    for (std::size_t i = data_end; i < out->size() - 12; ++i) EXPECT_EQ((*out)[i], 0) << i;
    // And the decoder reads the new text.
    ChatDecoder d;
    const auto m = d.feed(*out);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].data, replacement);
  }
}

TEST(RewritePacket, ZeroChecksumStaysZero) {
  const auto out = rewrite_packet(packet({text(1, 0, 0, "hello")}, true),
                                  [](std::uint16_t, std::uint32_t, std::string_view) { return to("bye"); });
  ASSERT_TRUE(out);
  const Packet p = parsed(*out);
  EXPECT_EQ(p.checksum, 0u);
  EXPECT_TRUE(p.checksum_ok);
  EXPECT_EQ(text_of(p.data.at(0).payload), "bye");
}

TEST(RewritePacket, BinaryAndEveryWholeMessageInThePacket) {
  const Bytes original = packet({text(1, 0, 0, "one"), data(2, 0, 1, kPpidBinary, {1, 2}), text(3, 2, 0, "three")});
  const auto out = rewrite_packet(original, [](std::uint16_t stream, std::uint32_t ppid, std::string_view p) {
    if (stream == 2) return std::optional<std::string>();  // left alone
    return to(std::string(p) + (ppid == kPpidBinary ? "\x03" : "!"));
  });
  ASSERT_TRUE(out);
  const Packet p = parsed(*out);
  EXPECT_TRUE(p.checksum_ok);
  ASSERT_EQ(p.data.size(), 3u);
  EXPECT_EQ(text_of(p.data[0].payload), "one!");
  EXPECT_EQ(p.data[1].payload, (Bytes{1, 2, 3}));
  EXPECT_EQ(text_of(p.data[2].payload), "three");
}

TEST(RewritePacket, EmptyReplacementIsSentAsAnEmptyMessage) {
  const auto out = rewrite_packet(packet({text(1, 0, 0, "something"), data(2, 0, 1, kPpidBinary, {7})}),
                                  [](std::uint16_t, std::uint32_t, std::string_view) { return to(""); });
  ASSERT_TRUE(out);
  ChatDecoder d;
  const auto m = d.feed(*out);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, Kind::EmptyText);
  EXPECT_EQ(m[0].ppid, kPpidStringEmpty);
  EXPECT_EQ(m[1].kind, Kind::EmptyBinary);
  EXPECT_EQ(parsed(*out).data[0].payload, Bytes{0});
}

TEST(RewritePacket, NulloptWhenNoWholeMessageChangesOrTheResultIsRefused) {
  auto always = [](std::uint16_t, std::uint32_t, std::string_view) { return to("changed"); };
  int calls = 0;
  auto counting = [&](std::uint16_t, std::uint32_t, std::string_view) {
    ++calls;
    return to("changed");
  };
  // Fragments, DCEP, empty-message PPIDs and control chunks are not offered.
  EXPECT_FALSE(rewrite_packet(packet({text(1, 0, 0, "frag", kB), text(2, 0, 0, "ment", kE)}), counting));
  EXPECT_FALSE(rewrite_packet(packet({data(1, 0, 0, kPpidDcep, dcep_open("chat", ""))}), counting));
  EXPECT_FALSE(rewrite_packet(packet({data(1, 0, 0, kPpidStringEmpty, {0}), sack(3)}), counting));
  EXPECT_EQ(calls, 0);
  // The callback declines, or returns the same payload.
  EXPECT_FALSE(rewrite_packet(packet({text(1, 0, 0, "hi")}), [](std::uint16_t, std::uint32_t, std::string_view) {
    return std::optional<std::string>();
  }));
  EXPECT_FALSE(rewrite_packet(packet({text(1, 0, 0, "hi")}),
                              [](std::uint16_t, std::uint32_t, std::string_view p) { return to(std::string(p)); }));
  // Malformed, or a wrong checksum (the receiver would drop it).
  Bytes bad = packet({text(1, 0, 0, "hi")});
  bad[8] ^= 1;
  EXPECT_FALSE(rewrite_packet(bad, always));
  Bytes cut = packet({text(1, 0, 0, "hello")});
  cut.pop_back();
  EXPECT_FALSE(rewrite_packet(cut, always));
  // Too big for the record, or for a chunk.
  EXPECT_FALSE(rewrite_packet(packet({text(1, 0, 0, "hi")}), [](std::uint16_t, std::uint32_t, std::string_view) {
    return to(std::string(20000, 'x'));
  }));
  EXPECT_FALSE(rewrite_packet(
      packet({text(1, 0, 0, "hi")}),
      [](std::uint16_t, std::uint32_t, std::string_view) { return to(std::string(70000, 'x')); }, 1 << 20));
  const auto fits = rewrite_packet(
      packet({text(1, 0, 0, "hi")}),
      [](std::uint16_t, std::uint32_t, std::string_view) { return to(std::string(65535 - 16, 'x')); }, 1 << 20);
  ASSERT_TRUE(fits);
  EXPECT_TRUE(parsed(*fits).checksum_ok);
}

}  // namespace
}  // namespace sigtrust::attacks::sctp
