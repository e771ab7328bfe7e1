#include "attacks/sctp.hpp"

#include <array>
#include <iterator>
#include <utility>

namespace sigtrust::attacks::sctp {
namespace {

constexpr std::size_t kCommonHeaderBytes = 12;  // RFC 9260 §3.1
constexpr std::size_t kChunkHeaderBytes = 4;  // RFC 9260 §3.2
constexpr std::size_t kDataHeaderBytes = 16;  // RFC 9260 §3.3.1
constexpr std::size_t kInitMinBytes = 20;  // RFC 9260 §3.3.2: fixed part of INIT / INIT ACK
constexpr std::size_t kForwardTsnMinBytes = 8;  // RFC 3758 §3.2
constexpr std::size_t kMaxChunkBytes = 0xFFFF;  // the chunk length field is 16 bits

// RFC 9260 §3.3.1: DATA chunk flags.
constexpr std::uint8_t kFlagUnordered = 0x04;
constexpr std::uint8_t kFlagBegin = 0x02;
constexpr std::uint8_t kFlagEnd = 0x01;

// RFC 8832 §5: DCEP message types.
constexpr std::uint8_t kDcepAck = 0x02;
constexpr std::uint8_t kDcepOpen = 0x03;
constexpr std::size_t kDcepOpenHeaderBytes = 12;  // RFC 8832 §5.1

// Reflected CRC32c table (polynomial 0x1EDC6F41, reversed 0x82F63B78).
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

std::uint32_t crc_update(std::uint32_t crc, std::span<const std::uint8_t> data) {
  for (const std::uint8_t b : data) crc = kCrcTable[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return crc;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}
void put_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// RFC 9260 Appendix A: the CRC goes into the header least significant byte
// first (the reference code byte-swaps it, then stores it in network order).
std::uint32_t read_checksum(const std::uint8_t* p) {
  return p[0] | (static_cast<std::uint32_t>(p[1]) << 8) | (static_cast<std::uint32_t>(p[2]) << 16) |
         (static_cast<std::uint32_t>(p[3]) << 24);
}
void write_checksum(std::uint8_t* p, std::uint32_t crc) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

std::size_t padded(std::size_t length) { return (length + 3) & ~std::size_t{3}; }

// Walks the chunks of a packet whose common header is present, calling
// on_chunk(offset, type, flags, length) for each, after checking that its
// header, length and padding fit (RFC 9260 §3.2); on_chunk returns why it
// refuses the chunk, or nullptr. Returns the reason the packet is malformed,
// or an empty string.
template <typename OnChunk>
std::string walk_chunks(std::span<const std::uint8_t> bytes, OnChunk&& on_chunk) {
  std::size_t offset = kCommonHeaderBytes;
  for (std::size_t index = 1; offset < bytes.size(); ++index) {
    const std::size_t left = bytes.size() - offset;
    if (left < kChunkHeaderBytes) {
      return "chunk " + std::to_string(index) + " header truncated: " + std::to_string(left) +
             " bytes left at offset " + std::to_string(offset);
    }
    const std::uint8_t* p = bytes.data() + offset;
    const std::uint8_t type = p[0];
    const std::size_t length = be16(p + 2);
    auto refuse = [&](const std::string& why) {
      return "chunk " + std::to_string(index) + " (type " + std::to_string(type) + ") length " +
             std::to_string(length) + " " + why;
    };
    if (length < kChunkHeaderBytes) return refuse("is under 4");
    if (length > left) return refuse("past end of packet (" + std::to_string(left) + " bytes left)");
    // RFC 9260 §3.2: the sender MUST pad every chunk, the last one too, to a multiple of 4 bytes.
    if (padded(length) > left) return refuse("is not padded to 4 bytes at the end of the packet");
    if (const char* refused = on_chunk(offset, type, p[1], length)) return refuse(refused);
    offset += padded(length);
  }
  return {};
}

bool is_whole_rewritable(std::uint8_t flags, std::uint32_t ppid) {
  return (flags & kFlagBegin) && (flags & kFlagEnd) && (ppid == kPpidString || ppid == kPpidBinary);
}

}  // namespace

std::uint32_t crc32c(std::span<const std::uint8_t> data) { return ~crc_update(0xFFFFFFFFu, data); }

std::uint32_t packet_crc32c(std::span<const std::uint8_t> packet) {
  if (packet.size() < kCommonHeaderBytes) return 0;
  // RFC 9260 §6.8: computed with the checksum field set to zero.
  static constexpr std::array<std::uint8_t, 4> kZero{};
  std::uint32_t crc = crc_update(0xFFFFFFFFu, packet.first(8));
  crc = crc_update(crc, kZero);
  crc = crc_update(crc, packet.subspan(kCommonHeaderBytes));
  return ~crc;
}

Result<Packet> parse_packet(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kCommonHeaderBytes) {
    return Error{"packet of " + std::to_string(bytes.size()) + " bytes is shorter than the 12-byte SCTP common header"};
  }
  Packet packet;
  packet.src_port = be16(bytes.data());
  packet.dst_port = be16(bytes.data() + 2);
  packet.verification_tag = be32(bytes.data() + 4);
  packet.checksum = read_checksum(bytes.data() + 8);
  // RFC 9653: a zero checksum is accepted where the peers agreed to it; the
  // bridge cannot see whether they did, so it takes the packet as they would.
  packet.checksum_ok = packet.checksum == 0 || packet.checksum == packet_crc32c(bytes);

  const std::string refused = walk_chunks(
      bytes, [&](std::size_t offset, std::uint8_t type, std::uint8_t flags, std::size_t length) -> const char* {
        const std::uint8_t* p = bytes.data() + offset;
        packet.chunk_types.push_back(type);
        switch (type) {
          case kData: {
            if (length < kDataHeaderBytes) return "is under the 16 bytes of a DATA chunk header";
            DataChunk d;
            d.unordered = flags & kFlagUnordered;
            d.begin = flags & kFlagBegin;
            d.end = flags & kFlagEnd;
            d.tsn = be32(p + 4);
            d.stream = be16(p + 8);
            d.ssn = be16(p + 10);
            d.ppid = be32(p + 12);
            d.payload.assign(p + kDataHeaderBytes, p + length);
            packet.data.push_back(std::move(d));
            break;
          }
          case kInit:
          case kInitAck:
            if (length < kInitMinBytes) return "is under the 20 bytes of an INIT or INIT ACK";
            packet.initial_tsn = be32(p + 16);
            break;
          case kForwardTsn:
            if (length < kForwardTsnMinBytes) return "is under the 8 bytes of a FORWARD TSN";
            packet.forward_tsn = be32(p + 4);
            break;
          default: break;
        }
        return nullptr;
      });
  if (!refused.empty()) return Error{refused};
  return packet;
}

// ----- ChatDecoder ------------------------------------------------------------

namespace {

struct Fragment {
  DataChunk chunk;
  bool dead = false;  // part of a message already dropped for the limits; payload freed
};

// RFC 9260 §6.9: `next` (one TSN after `prev`) continues the same message.
bool continues(const DataChunk& prev, const DataChunk& next) {
  return !prev.end && !next.begin && prev.stream == next.stream && prev.unordered == next.unordered &&
         (prev.unordered || prev.ssn == next.ssn);
}

}  // namespace

struct ChatDecoder::State {
  std::shared_ptr<ChannelTable> channels;
  DecoderLimits limits;
  std::size_t malformed = 0, bad_checksum = 0, dropped = 0, duplicates = 0;

  // TSNs, unwrapped to 64 bits around the highest seen (RFC 9260 §1.6 serial
  // arithmetic), and which of the last tsn_window of them have been seen.
  bool have_tsn = false;
  std::int64_t highest = 0;
  std::vector<bool> seen;

  // Fragments of incomplete messages by unwrapped TSN.
  using Fragments = std::map<std::int64_t, Fragment>;
  Fragments fragments;
  std::size_t buffered_bytes = 0;

  std::int64_t unwrap(std::uint32_t tsn) const {
    if (!have_tsn) return (std::int64_t{1} << 32) + tsn;
    return highest + static_cast<std::int32_t>(tsn - static_cast<std::uint32_t>(highest));
  }

  std::size_t bit(std::int64_t u) const {
    return static_cast<std::size_t>(static_cast<std::uint64_t>(u) % seen.size());
  }

  // Marks `u` seen; false if it was (a retransmission, RFC 9260 §6.2), or too
  // old to tell, which is taken as seen.
  bool first_sighting(std::int64_t u) {
    const auto window = static_cast<std::int64_t>(seen.size());
    if (!have_tsn) {
      have_tsn = true;
      highest = u;
      seen.assign(seen.size(), false);
    } else if (u > highest) {
      if (u - highest >= window) {
        seen.assign(seen.size(), false);
      } else {
        for (std::int64_t t = highest + 1; t <= u; ++t) seen[bit(t)] = false;
      }
      highest = u;
    } else if (highest - u >= window || seen[bit(u)]) {
      return false;
    }
    seen[bit(u)] = true;
    return true;
  }

  // Forgets TSN history: a new INIT or INIT ACK starts a new TSN sequence.
  void restart() {
    drop_where([](std::int64_t) { return true; });
    have_tsn = false;
  }

  void kill(Fragment& f) {
    if (f.dead) return;
    buffered_bytes -= f.chunk.payload.size();
    f.chunk.payload = {};
    f.chunk.payload.shrink_to_fit();
    f.dead = true;
  }

  void erase(Fragments::iterator it) {
    if (!it->second.dead) buffered_bytes -= it->second.chunk.payload.size();
    fragments.erase(it);
  }

  // The fragments around `it` that belong to one message, as far as present.
  std::pair<Fragments::iterator, Fragments::iterator> chain_of(Fragments::iterator it) {
    auto first = it;
    while (!first->second.chunk.begin && first != fragments.begin()) {
      auto prev = std::prev(first);
      if (prev->first + 1 != first->first || !continues(prev->second.chunk, first->second.chunk)) break;
      first = prev;
    }
    auto last = it;
    while (!last->second.chunk.end) {
      auto next = std::next(last);
      if (next == fragments.end() || last->first + 1 != next->first ||
          !continues(last->second.chunk, next->second.chunk)) {
        break;
      }
      last = next;
    }
    return {first, last};
  }

  // Erases the chain [first, last]; counts it as dropped unless it was already.
  // The oldest chain goes first when a cap is reached.
  void drop_chain(Fragments::iterator first, Fragments::iterator last) {
    bool was_dead = false;
    for (auto it = first;;) {
      was_dead = was_dead || it->second.dead;
      const bool at_last = it == last;
      auto next = std::next(it);
      erase(it);
      if (at_last) break;
      it = next;
    }
    if (!was_dead) ++dropped;
  }

  template <typename Pred>
  void drop_where(Pred pred) {
    while (!fragments.empty() && pred(fragments.begin()->first)) {
      auto [first, last] = chain_of(fragments.begin());
      drop_chain(first, last);
    }
  }

  void add_fragment(std::int64_t u, DataChunk chunk, std::vector<ChannelMessage>& out) {
    const std::size_t size = chunk.payload.size();
    const auto [it, inserted] = fragments.emplace(u, Fragment{std::move(chunk), false});
    if (!inserted) return;  // first_sighting lets no TSN in twice
    buffered_bytes += size;
    auto [first, last] = chain_of(it);
    bool dead = false;
    std::size_t bytes = 0;
    for (auto i = first;; ++i) {
      dead = dead || i->second.dead;
      bytes += i->second.chunk.payload.size();
      if (i == last) break;
    }
    const bool whole = first->second.chunk.begin && last->second.chunk.end;
    if (!dead && bytes > limits.max_message_bytes) {
      ++dropped;
      dead = true;
    }
    if (whole) {
      if (!dead) {
        std::vector<std::uint8_t> payload;
        payload.reserve(bytes);
        for (auto i = first;; ++i) {
          payload.insert(payload.end(), i->second.chunk.payload.begin(), i->second.chunk.payload.end());
          if (i == last) break;
        }
        out.push_back(message(first->second.chunk, payload));
      }
      for (auto i = first;;) {
        const bool at_last = i == last;
        auto next = std::next(i);
        erase(i);
        if (at_last) break;
        i = next;
      }
    } else if (dead) {
      // The rest of this message will be dropped as it comes: keep only the
      // chain's last fragment, payload freed, for later ones to attach to.
      for (auto i = first; i != last;) erase(i++);
      kill(last->second);
    }
    enforce_caps();
  }

  void enforce_caps() {
    while (!fragments.empty() &&
           (fragments.size() > limits.max_buffered_fragments || buffered_bytes > limits.max_buffered_bytes)) {
      auto [first, last] = chain_of(fragments.begin());
      drop_chain(first, last);
    }
  }

  ChannelMessage message(const DataChunk& first, std::span<const std::uint8_t> payload) {
    using Kind = ChannelMessage::Kind;
    ChannelMessage m;
    m.stream = first.stream;
    m.ppid = first.ppid;
    m.first_tsn = first.tsn;
    m.unordered = first.unordered;
    const std::string raw(payload.begin(), payload.end());
    switch (first.ppid) {
      case kPpidString:
      case kPpidStringPartial:
        m.kind = Kind::Text;
        m.data = raw;
        break;
      case kPpidBinary:
      case kPpidBinaryPartial:
        m.kind = Kind::Binary;
        m.data = raw;
        break;
      case kPpidStringEmpty:  // RFC 8831 §6.6: one byte that carries nothing
        m.kind = Kind::EmptyText;
        break;
      case kPpidBinaryEmpty: m.kind = Kind::EmptyBinary; break;
      case kPpidDcep:
        m.data = raw;
        decode_dcep(m, payload);
        break;
      default:
        m.kind = Kind::Other;
        m.data = raw;
        break;
    }
    if (const auto c = channels->channels.find(m.stream); c != channels->channels.end()) {
      m.label = c->second.label;
      m.protocol = c->second.protocol;
    }
    return m;
  }

  // RFC 8832 §5: an ACK is its type byte; an OPEN is a 12-byte header
  // followed by the label and the protocol, unpadded (§5.1).
  void decode_dcep(ChannelMessage& m, std::span<const std::uint8_t> p) {
    if (p.empty()) return;
    if (p[0] == kDcepAck) {
      m.kind = ChannelMessage::Kind::Ack;
      return;
    }
    if (p[0] != kDcepOpen || p.size() < kDcepOpenHeaderBytes) return;
    const std::size_t label_length = be16(p.data() + 8);
    const std::size_t protocol_length = be16(p.data() + 10);
    if (kDcepOpenHeaderBytes + label_length + protocol_length > p.size()) return;
    ChannelTable::Channel c;
    c.channel_type = p[1];
    c.priority = be16(p.data() + 2);
    c.reliability = be32(p.data() + 4);
    const auto* label = p.data() + kDcepOpenHeaderBytes;
    c.label.assign(label, label + label_length);
    c.protocol.assign(label + label_length, label + label_length + protocol_length);
    m.kind = ChannelMessage::Kind::Open;
    m.data = c.label;
    m.channel_type = c.channel_type;
    m.priority = c.priority;
    m.reliability = c.reliability;
    // RFC 8832 §6: a stream reset and reused gets a new OPEN, which replaces the old channel.
    channels->channels[m.stream] = std::move(c);
  }
};

ChatDecoder::ChatDecoder(std::shared_ptr<ChannelTable> channels, DecoderLimits limits) : s_(std::make_unique<State>()) {
  s_->channels = channels ? std::move(channels) : std::make_shared<ChannelTable>();
  if (limits.tsn_window == 0) limits.tsn_window = 1;
  s_->limits = limits;
  s_->seen.assign(limits.tsn_window, false);
}

ChatDecoder::~ChatDecoder() = default;
ChatDecoder::ChatDecoder(ChatDecoder&&) noexcept = default;
ChatDecoder& ChatDecoder::operator=(ChatDecoder&&) noexcept = default;

std::vector<ChannelMessage> ChatDecoder::feed(std::span<const std::uint8_t> bytes) {
  std::vector<ChannelMessage> out;
  auto packet = parse_packet(bytes);
  if (!packet) {
    ++s_->malformed;
    return out;
  }
  // RFC 9260 §6.8: the receiver silently discards a packet with a wrong checksum.
  if (!packet->checksum_ok) {
    ++s_->bad_checksum;
    return out;
  }
  if (packet->initial_tsn) s_->restart();
  for (auto& chunk : packet->data) {
    const std::int64_t u = s_->unwrap(chunk.tsn);
    if (!s_->first_sighting(u)) {
      ++s_->duplicates;
      continue;
    }
    // RFC 9260 §6.2: DATA without user data is a protocol error the receiver
    // answers with ABORT; it delivers nothing.
    if (chunk.payload.empty()) continue;
    if (chunk.begin && chunk.end) {
      if (chunk.payload.size() > s_->limits.max_message_bytes) {
        ++s_->dropped;
      } else {
        out.push_back(s_->message(chunk, chunk.payload));
      }
      continue;
    }
    s_->add_fragment(u, std::move(chunk), out);
  }
  if (packet->forward_tsn && s_->have_tsn) {
    // RFC 3758 §3.6: everything up to the new cumulative TSN is abandoned.
    const std::int64_t cumulative = s_->unwrap(*packet->forward_tsn);
    s_->drop_where([&](std::int64_t u) { return u <= cumulative; });
  }
  return out;
}

std::size_t ChatDecoder::malformed() const { return s_->malformed; }
std::size_t ChatDecoder::bad_checksum() const { return s_->bad_checksum; }
std::size_t ChatDecoder::dropped() const { return s_->dropped; }
std::size_t ChatDecoder::duplicates() const { return s_->duplicates; }
const ChannelTable& ChatDecoder::channels() const { return *s_->channels; }

// ----- rewrite_packet ---------------------------------------------------------

std::optional<std::vector<std::uint8_t>> rewrite_packet(std::span<const std::uint8_t> bytes,
                                                        const PayloadRewrite& rewrite, std::size_t max_packet_bytes) {
  const auto parsed = parse_packet(bytes);
  if (!parsed || !parsed->checksum_ok) return std::nullopt;

  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + kCommonHeaderBytes);
  out.reserve(bytes.size() + 64);
  bool changed = false;
  walk_chunks(bytes, [&](std::size_t offset, std::uint8_t type, std::uint8_t flags, std::size_t length) -> const char* {
    const std::uint8_t* p = bytes.data() + offset;
    if (type == kData && length >= kDataHeaderBytes && is_whole_rewritable(flags, be32(p + 12))) {
      const std::uint32_t ppid = be32(p + 12);
      const std::string_view payload(reinterpret_cast<const char*>(p + kDataHeaderBytes), length - kDataHeaderBytes);
      std::optional<std::string> replacement = rewrite ? rewrite(be16(p + 8), ppid, payload) : std::nullopt;
      if (replacement && *replacement != payload) {
        std::uint32_t new_ppid = ppid;
        if (replacement->empty()) {
          // RFC 8831 §6.6: an empty message is one byte under its own PPID.
          new_ppid = ppid == kPpidString ? kPpidStringEmpty : kPpidBinaryEmpty;
          replacement = std::string(1, '\0');
        }
        const std::size_t new_length = kDataHeaderBytes + replacement->size();
        if (new_length <= kMaxChunkBytes) {
          const std::size_t at = out.size();
          out.insert(out.end(), p, p + kDataHeaderBytes);
          put_be16(out.data() + at + 2, static_cast<std::uint16_t>(new_length));
          put_be32(out.data() + at + 12, new_ppid);
          out.insert(out.end(), replacement->begin(), replacement->end());
          out.resize(at + padded(new_length), 0);  // RFC 9260 §3.2: zero padding
          changed = true;
          return nullptr;
        }
      }
    }
    out.insert(out.end(), p, p + padded(length));
    return nullptr;
  });
  if (!changed || out.size() > max_packet_bytes) return std::nullopt;
  if (parsed->checksum != 0) write_checksum(out.data() + 8, packet_crc32c(out));
  return out;
}

}  // namespace sigtrust::attacks::sctp
