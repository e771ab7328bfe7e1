#include "net/srtp_session.hpp"

#include <srtp2/srtp.h>

#include <cstring>

#include "core/c_ptr.hpp"

namespace sigtrust {
namespace {

using SrtpPtr = CPtr<srtp_ctx_t, srtp_dealloc>;

// libsrtp2 wants srtp_init() once per process before any session.
bool library_ready() {
  static const bool ok = srtp_init() == srtp_err_status_ok;
  return ok;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

bool is_rtp_or_rtcp(std::span<const std::uint8_t> d) { return !d.empty() && d[0] >= 128 && d[0] <= 191; }

bool is_rtcp(std::span<const std::uint8_t> p) { return p.size() >= 2 && p[1] >= 192 && p[1] <= 223; }

std::optional<RtpHeader> parse_rtp(std::span<const std::uint8_t> p) {
  // RFC 3550 §5.1: 12 fixed bytes, version 2.
  if (p.size() < 12 || (p[0] >> 6) != 2) return std::nullopt;
  RtpHeader h;
  h.marker = (p[1] & 0x80) != 0;
  h.payload_type = p[1] & 0x7F;
  h.sequence = static_cast<std::uint16_t>((p[2] << 8) | p[3]);
  h.timestamp = be32(&p[4]);
  h.ssrc = be32(&p[8]);
  size_t at = 12 + 4 * size_t{static_cast<unsigned>(p[0] & 0x0F)};  // CSRC list
  if (at > p.size()) return std::nullopt;
  if (p[0] & 0x10) {  // RFC 3550 §5.3.1: header extension, length in 32-bit words
    if (at + 4 > p.size()) return std::nullopt;
    at += 4 + 4 * size_t{static_cast<unsigned>((p[at + 2] << 8) | p[at + 3])};
    if (at > p.size()) return std::nullopt;
  }
  size_t end = p.size();
  if (p[0] & 0x20) {  // padding: its count is the last byte
    const size_t pad = p[end - 1];
    if (pad == 0 || pad > end - at) return std::nullopt;
    end -= pad;
  }
  h.header_size = at;
  h.payload_size = end - at;
  return h;
}

std::optional<std::uint32_t> parse_rtcp_sender(std::span<const std::uint8_t> p) {
  // RFC 3550 §6.4.1: V=2, PT, length, then the sender's SSRC.
  if (p.size() < 8 || (p[0] >> 6) != 2 || !is_rtcp(p)) return std::nullopt;
  return be32(&p[4]);
}

struct SrtpContext::Impl {
  SrtpPtr session;
};

SrtpContext::SrtpContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SrtpContext::SrtpContext(SrtpContext&&) noexcept = default;
SrtpContext& SrtpContext::operator=(SrtpContext&&) noexcept = default;
SrtpContext::~SrtpContext() = default;

Result<SrtpContext> SrtpContext::make(const SrtpKeys& keys, DtlsRole local_role, Direction direction) {
  if (!library_ready()) return Error{"libsrtp2: srtp_init failed"};
  // RFC 5764 §4.2: the DTLS client protects with client_write_SRTP_master_key
  // (and salt), the server with the server's.
  const bool client_keys = (local_role == DtlsRole::Client) == (direction == Direction::Outbound);
  const auto& key = client_keys ? keys.client_key : keys.server_key;
  const auto& salt = client_keys ? keys.client_salt : keys.server_salt;
  if (key.size() != 16 || salt.size() != 14) return Error{"DTLS-SRTP keys of unexpected length"};
  unsigned char master[30];
  std::memcpy(master, key.data(), 16);
  std::memcpy(master + 16, salt.data(), 14);

  srtp_policy_t policy{};
  if (keys.profile == SrtpProfile::Aes128CmHmacSha1_32) srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
  else srtp_crypto_policy_set_rtp_default(&policy.rtp);
  srtp_crypto_policy_set_rtcp_default(&policy.rtcp);  // RFC 5764 §4.1.2: SRTCP tag is 80 bits in both
  policy.ssrc.type = direction == Direction::Inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = master;
  policy.window_size = 1024;
  // The bridge forwards what the victim retransmits: the same index may be
  // protected twice.
  policy.allow_repeat_tx = 1;
  srtp_t s = nullptr;
  const srtp_err_status_t st = srtp_create(&s, &policy);
  std::memset(master, 0, sizeof(master));
  if (st != srtp_err_status_ok) return Error{"libsrtp2: srtp_create failed (status " + std::to_string(st) + ")"};
  auto impl = std::make_unique<Impl>();
  impl->session.reset(s);
  return SrtpContext(std::move(impl));
}

bool SrtpContext::unprotect(std::vector<std::uint8_t>& packet, bool rtcp) {
  // libsrtp2 reads the header before authenticating: keep it from short packets.
  if (packet.size() < (rtcp ? 8u : 12u) || packet.size() > 65536) return false;
  int len = static_cast<int>(packet.size());
  const srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(impl_->session.get(), packet.data(), &len)
                                    : srtp_unprotect(impl_->session.get(), packet.data(), &len);
  if (st != srtp_err_status_ok || len < 0) return false;
  packet.resize(static_cast<size_t>(len));
  return true;
}

bool SrtpContext::protect(std::vector<std::uint8_t>& packet, bool rtcp) {
  if (packet.size() < (rtcp ? 8u : 12u) || packet.size() > 65536) return false;
  int len = static_cast<int>(packet.size());
  // libsrtp2 appends the tag (and SRTCP index) in place.
  packet.resize(packet.size() + SRTP_MAX_TRAILER_LEN + 4);
  const srtp_err_status_t st = rtcp ? srtp_protect_rtcp(impl_->session.get(), packet.data(), &len)
                                    : srtp_protect(impl_->session.get(), packet.data(), &len);
  if (st != srtp_err_status_ok || len < 0) return false;
  packet.resize(static_cast<size_t>(len));
  return true;
}

}  // namespace sigtrust
