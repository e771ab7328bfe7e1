#include "sim/dtls_endpoint.hpp"

#include <cerrno>
#include <cstring>

#include "sim/certificate_native.hpp"

namespace sigtrust {

struct DtlsEndpoint::Impl {
  gnutls::SessionPtr session;

  static ssize_t push(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
    auto* self = static_cast<DtlsEndpoint*>(ptr);
    if (self->cb_.send) self->cb_.send({static_cast<const std::uint8_t*>(data), size});
    return static_cast<ssize_t>(size);
  }

  static ssize_t pull(gnutls_transport_ptr_t ptr, void* data, size_t size) {
    auto* self = static_cast<DtlsEndpoint*>(ptr);
    if (self->inbox_.empty()) {
      gnutls_transport_set_errno(self->impl_->session.get(), EAGAIN);
      return -1;
    }
    auto dgram = std::move(self->inbox_.front());
    self->inbox_.pop_front();
    // A datagram larger than GnuTLS's buffer is truncated, which GnuTLS then
    // rejects as a malformed record: hostile input stays a handled error.
    const size_t n = std::min(size, dgram.size());
    std::memcpy(data, dgram.data(), n);
    return static_cast<ssize_t>(n);
  }

  // Required for DTLS over a custom transport (docs/architecture.md, measured facts): we never
  // block, so only report whether a datagram is already queued.
  static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int) {
    auto* self = static_cast<DtlsEndpoint*>(ptr);
    return self->inbox_.empty() ? 0 : 1;
  }

  static int verify(gnutls_session_t session) {
    auto* self = static_cast<DtlsEndpoint*>(gnutls_session_get_ptr(session));
    unsigned int n = 0;
    const gnutls_datum_t* certs = gnutls_certificate_get_peers(session, &n);
    if (!certs || n == 0) return GNUTLS_E_NO_CERTIFICATE_FOUND;
    self->peer_der_.assign(certs[0].data, certs[0].data + certs[0].size);
    if (self->cb_.verify && !self->cb_.verify(self->peer_der_)) return GNUTLS_E_CERTIFICATE_ERROR;
    return 0;
  }

  static int key_log(gnutls_session_t session, const char* label, const gnutls_datum_t* secret) {
    auto* self = static_cast<DtlsEndpoint*>(gnutls_session_get_ptr(session));
    if (!self->cb_.key_log) return 0;
    gnutls_datum_t client_random{}, server_random{};
    gnutls_session_get_random(session, &client_random, &server_random);
    auto hex = [](const unsigned char* p, unsigned n) {
      static const char* d = "0123456789abcdef";
      std::string s;
      for (unsigned i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 0xF];
      }
      return s;
    };
    self->cb_.key_log(std::string(label) + " " + hex(client_random.data, client_random.size) + " " +
                      hex(secret->data, secret->size));
    return 0;
  }
};

namespace {

// DTLS 1.2 only: what browsers negotiate with GnuTLS 3.7 (docs/architecture.md, measured facts).
// Parsed once and shared by every session (GnuTLS counts its users): parsing
// the string per session cost CPU and ~8 KiB per live session.
gnutls_priority_t dtls_priority() {
  static const gnutls::PriorityPtr priority = [] {
    gnutls_priority_t p = nullptr;
    gnutls::check(gnutls_priority_init(&p, "NORMAL:-VERS-ALL:+VERS-DTLS1.2", nullptr), "DTLS priority");
    return gnutls::PriorityPtr(p);
  }();
  return priority.get();
}

}  // namespace

std::string_view to_string(DtlsRole r) { return r == DtlsRole::Client ? "client" : "server"; }

std::string_view to_string(SrtpProfile p) {
  switch (p) {
    case SrtpProfile::Aes128CmHmacSha1_80: return "SRTP_AES128_CM_HMAC_SHA1_80";
    case SrtpProfile::Aes128CmHmacSha1_32: return "SRTP_AES128_CM_HMAC_SHA1_32";
  }
  return "unknown";
}

const std::vector<SrtpProfile>& browser_srtp_profiles() {
  // Chromium and Firefox offer AEAD_AES_128_GCM (and _256_GCM) first, then
  // these two; GnuTLS 3.7.9 has no GCM profile to offer.
  static const std::vector<SrtpProfile> profiles{SrtpProfile::Aes128CmHmacSha1_80, SrtpProfile::Aes128CmHmacSha1_32};
  return profiles;
}

DtlsEndpoint::DtlsEndpoint(MainLoop& loop, const Certificate& cert, DtlsRole role, DtlsCallbacks callbacks,
                           const DtlsOptions& options)
    : loop_(loop), role_(role), cb_(std::move(callbacks)), impl_(std::make_unique<Impl>()) {
  gnutls_session_t s = nullptr;
  const unsigned flags = GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS |
                         (role == DtlsRole::Client ? GNUTLS_CLIENT : GNUTLS_SERVER);
  gnutls::check(gnutls_init(&s, flags), "DTLS session init");
  impl_->session.reset(s);
  gnutls_session_set_ptr(s, this);
  gnutls::check(gnutls_priority_set(s, dtls_priority()), "DTLS priority");
  gnutls_certificate_credentials_t cred = cert.native().credentials.get();
  gnutls_certificate_set_verify_function(cred, &Impl::verify);
  gnutls::check(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), "DTLS credentials");
  // RFC 5763 §5: both endpoints present certificates; the server asks for the client's.
  if (role == DtlsRole::Server) gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
  gnutls_transport_set_ptr(s, this);
  gnutls_transport_set_push_function(s, &Impl::push);
  gnutls_transport_set_pull_function(s, &Impl::pull);
  gnutls_transport_set_pull_timeout_function(s, &Impl::pull_timeout);
  gnutls_dtls_set_mtu(s, 1200);
  // Loopback round trips are microseconds; GnuTLS's 1 s first retransmission
  // would dominate any lost-packet case (docs/architecture.md, measured facts).
  gnutls_dtls_set_timeouts(s, 100, 30000);
  gnutls_session_set_keylog_function(s, &Impl::key_log);
  // RFC 5764 §4.1.1: the client lists its profiles in preference order; the
  // server picks one of them or leaves use_srtp out of its ServerHello.
  for (const SrtpProfile p : options.srtp_profiles)
    gnutls::check(gnutls_srtp_set_profile(s, static_cast<gnutls_srtp_profile_t>(p)), "DTLS-SRTP profile");
}

DtlsEndpoint::~DtlsEndpoint() = default;

void DtlsEndpoint::start() {
  if (state_ != State::Idle) return;
  state_ = State::Handshaking;
  step();
}

void DtlsEndpoint::receive(std::span<const std::uint8_t> datagram) {
  if (state_ == State::Failed || state_ == State::Closed) return;
  bytes_in_ += datagram.size();
  // RFC 6347 §4.1: a record header alone is 13 bytes, so a shorter datagram
  // holds no record and is discarded (§4.1.2.7). Passed on, GnuTLS would take
  // an empty one for end of stream and splice a short one onto the next
  // datagram, losing that one too.
  if (datagram.size() < 13) return;
  // Bound the queue: a flood of datagrams must not grow memory without limit.
  if (inbox_.size() >= 256) inbox_.pop_front();
  inbox_.emplace_back(datagram.begin(), datagram.end());
  if (state_ == State::Idle && role_ == DtlsRole::Server) state_ = State::Handshaking;
  if (state_ == State::Handshaking) step();
  else if (state_ == State::Connected) read_records();
}

void DtlsEndpoint::step() {
  if (in_step_) return;  // push() may re-enter through a synchronous transport
  in_step_ = true;
  const int ret = gnutls_handshake(impl_->session.get());
  in_step_ = false;
  if (ret == 0) {
    timer_.cancel();
    state_ = State::Connected;
    if (cb_.on_connected) cb_.on_connected();
    if (state_ == State::Connected && !inbox_.empty()) read_records();
    return;
  }
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED || gnutls_error_is_fatal(ret) == 0) {
    arm_timer();
    return;
  }
  // RFC 6347 §4.1.2.7 / RFC 5246 §7.2.2: tell the peer with a fatal alert (e.g.
  // bad_certificate when our verifier refused), or it retransmits until its
  // own timeout. GnuTLS sends none by itself, and none for a received alert.
  gnutls_alert_send_appropriate(impl_->session.get(), ret);
  fail(std::string("DTLS handshake failed: ") + gnutls_strerror(ret));
}

void DtlsEndpoint::arm_timer() {
  const unsigned ms = gnutls_dtls_get_timeout(impl_->session.get());
  timer_ = loop_.after(std::chrono::milliseconds(std::max(1u, ms)), [this] {
    if (state_ == State::Handshaking) step();
  });
}

void DtlsEndpoint::read_records() {
  char buf[16384];
  while (state_ == State::Connected) {
    const ssize_t n = gnutls_record_recv(impl_->session.get(), buf, sizeof(buf));
    if (n > 0) {
      if (cb_.on_data) cb_.on_data(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      state_ = State::Closed;
      timer_.cancel();
      if (cb_.on_closed) cb_.on_closed();
      return;
    }
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) return;
    if (!gnutls_error_is_fatal(static_cast<int>(n))) continue;  // bad record: DTLS drops it
    fail(std::string("DTLS record error: ") + gnutls_strerror(static_cast<int>(n)));
    return;
  }
}

bool DtlsEndpoint::send(std::string_view data) {
  if (state_ != State::Connected) return false;
  const ssize_t n = gnutls_record_send(impl_->session.get(), data.data(), data.size());
  return n == static_cast<ssize_t>(data.size());
}

void DtlsEndpoint::close() {
  if (state_ == State::Connected) gnutls_bye(impl_->session.get(), GNUTLS_SHUT_WR);
  if (state_ != State::Failed) state_ = State::Closed;
  timer_.cancel();
}

void DtlsEndpoint::fail(const std::string& reason) {
  timer_.cancel();
  state_ = State::Failed;
  if (cb_.on_failed) cb_.on_failed(reason);
}

std::optional<SrtpProfile> DtlsEndpoint::srtp_profile() const {
  if (state_ != State::Connected && state_ != State::Closed) return std::nullopt;
  gnutls_srtp_profile_t p{};
  if (gnutls_srtp_get_selected_profile(impl_->session.get(), &p) < 0) return std::nullopt;
  for (const SrtpProfile known : browser_srtp_profiles())
    if (static_cast<gnutls_srtp_profile_t>(known) == p) return known;
  return std::nullopt;
}

Result<SrtpKeys> DtlsEndpoint::srtp_keys() const {
  const auto profile = srtp_profile();
  if (!profile) return Error{"no DTLS-SRTP profile negotiated"};
  // Two keys of 16 bytes and two salts of 14 (RFC 3711 §8.2 defaults for
  // both AES128_CM profiles, RFC 5764 §4.1.2).
  std::uint8_t material[2 * (16 + 14)];
  gnutls_datum_t ck{}, cs{}, sk{}, ss{};
  const int ret = gnutls_srtp_get_keys(impl_->session.get(), material, sizeof(material), &ck, &cs, &sk, &ss);
  if (ret < 0) return Error{std::string("DTLS-SRTP keys (EXTRACTOR-dtls_srtp): ") + gnutls_strerror(ret)};
  SrtpKeys k;
  k.profile = *profile;
  k.client_key.assign(ck.data, ck.data + ck.size);
  k.client_salt.assign(cs.data, cs.data + cs.size);
  k.server_key.assign(sk.data, sk.data + sk.size);
  k.server_salt.assign(ss.data, ss.data + ss.size);
  return k;
}

Result<std::vector<std::uint8_t>> DtlsEndpoint::export_keying_material(std::string_view label,
                                                                        size_t length) const {
  if (state_ != State::Connected) return Error{"DTLS not connected"};
  std::vector<std::uint8_t> out(length);
  const int ret = gnutls_prf_rfc5705(impl_->session.get(), label.size(), label.data(), 0, nullptr, length,
                                     reinterpret_cast<char*>(out.data()));
  if (ret < 0) return Error{std::string("RFC 5705 exporter: ") + gnutls_strerror(ret)};
  return out;
}

}  // namespace sigtrust
