#include "net/dtls_endpoint.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/c_entry.hpp"
#include "net/certificate_native.hpp"

namespace sigtrust {

struct DtlsEndpoint::Impl {
  gnutls::SessionPtr session;

  static ssize_t push(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
    auto* self = static_cast<DtlsEndpoint*>(ptr);
    return c_entry_or<ssize_t>("GnuTLS's push function", -1, [&]() -> ssize_t {
      const std::span d(static_cast<const std::uint8_t*>(data), size);
      if (self->hold_) {
        if (is_client_hello(d)) {
          if (self->client_hello_.empty()) self->client_hello_.assign(d.begin(), d.end());
        } else if (!d.empty() &&
                   (d[0] == 22 || d[0] == 20)) {  // handshake or ChangeCipherSpec; an alert still goes out
          // The flight after the server's: held (or, once held, its
          // retransmissions dropped) until grind() decides.
          if (!self->held_) self->held_flight_.emplace_back(d.begin(), d.end());
          return static_cast<ssize_t>(size);
        }
      }
      if (self->cb_.send) self->cb_.send(d);
      return static_cast<ssize_t>(size);
    });
  }

  // RFC 6347 §4.1 record header (content type 22: handshake, epoch 0), then
  // §4.2.2 handshake header, type 1: client_hello.
  static bool is_client_hello(std::span<const std::uint8_t> d) {
    return d.size() > 13 && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[13] == 1;
  }

  static ssize_t pull(gnutls_transport_ptr_t ptr, void* data, size_t size) {
    auto* self = static_cast<DtlsEndpoint*>(ptr);
    return c_entry_or<ssize_t>("GnuTLS's pull function", -1, [&]() -> ssize_t {
      if (self->inbox_.empty()) {
        self->starved_ = true;
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
    });
  }

  // Required for DTLS over a custom transport (docs/architecture.md, measured facts): we never
  // block, so only report whether a datagram is already queued.
  static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int) {
    auto* self = static_cast<DtlsEndpoint*>(ptr);
    if (self->inbox_.empty()) self->starved_ = true;
    return self->inbox_.empty() ? 0 : 1;
  }

  static int verify(gnutls_session_t session) {
    return c_entry_or<int>("GnuTLS's certificate verify function", GNUTLS_E_CERTIFICATE_ERROR, [&]() -> int {
      auto* self = static_cast<DtlsEndpoint*>(gnutls_session_get_ptr(session));
      unsigned int n = 0;
      const gnutls_datum_t* certs = gnutls_certificate_get_peers(session, &n);
      if (!certs || n == 0) return GNUTLS_E_NO_CERTIFICATE_FOUND;
      self->peer_der_.assign(certs[0].data, certs[0].data + certs[0].size);
      if (self->cb_.verify && !self->cb_.verify(self->peer_der_)) return GNUTLS_E_CERTIFICATE_ERROR;
      return 0;
    });
  }

  static int key_log(gnutls_session_t session, const char* label, const gnutls_datum_t* secret) {
    return c_entry_or<int>("GnuTLS's key log function", 0, [&]() -> int {
      auto* self = static_cast<DtlsEndpoint*>(gnutls_session_get_ptr(session));
      if (!self->cb_.key_log) return 0;
      std::string* sink = nullptr;  // a grind try's secret is logged only if that try goes out
      if (session != self->impl_->session.get()) sink = &self->impl_->try_key_log;
      else if (self->hold_) sink = &self->impl_->own_key_log;
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
      const std::string line = std::string(label) + " " + hex(client_random.data, client_random.size) + " " +
                               hex(secret->data, secret->size);
      if (sink) *sink = line;
      else self->cb_.key_log(line);
      return 0;
    });
  }

  static void attach(DtlsEndpoint* self, gnutls_session_t s);

  std::string try_key_log, own_key_log;
};

// One try of a grind: a client session of its own, with an in-memory transport.
struct GrindTry {
  gnutls::SessionPtr session;
  std::deque<std::vector<std::uint8_t>> in;
  std::vector<std::vector<std::uint8_t>> out;

  static ssize_t push(gnutls_transport_ptr_t ptr, const void* data, size_t size) {
    auto* t = static_cast<GrindTry*>(ptr);
    return c_entry_or<ssize_t>("GnuTLS's push function (grind)", -1, [&]() -> ssize_t {
      const auto* p = static_cast<const std::uint8_t*>(data);
      t->out.emplace_back(p, p + size);
      return static_cast<ssize_t>(size);
    });
  }
  static ssize_t pull(gnutls_transport_ptr_t ptr, void* data, size_t size) {
    auto* t = static_cast<GrindTry*>(ptr);
    return c_entry_or<ssize_t>("GnuTLS's pull function (grind)", -1, [&]() -> ssize_t {
      if (t->in.empty()) {
        gnutls_transport_set_errno(t->session.get(), EAGAIN);
        return -1;
      }
      const size_t n = std::min(size, t->in.front().size());
      std::memcpy(data, t->in.front().data(), n);
      t->in.pop_front();
      return static_cast<ssize_t>(n);
    });
  }
  static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned int) {
    return static_cast<GrindTry*>(ptr)->in.empty() ? 0 : 1;
  }
};

struct DtlsEndpoint::Grind {
  std::string label;
  size_t length = 0;
  std::function<bool(const std::vector<std::uint8_t>&)> accept;
  std::uint64_t budget = 0;
  std::function<void(const GrindResult&)> done;
  std::vector<std::uint8_t> client_random;
  std::chrono::steady_clock::time_point start;
  GrindResult result;
  Timer slice;
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

namespace {

// A bound on GnuTLS calls per wake-up (a datagram or a timer), so that a
// session that keeps answering GNUTLS_E_AGAIN without reading cannot spin:
// enough for a full queue (256 datagrams) of a few records each.
constexpr int kMaxCallsPerWakeup = 1024;

// Everything a session of ours is made of but its transport: what a grind try
// must repeat exactly, or its ClientHello would differ.
gnutls::SessionPtr make_session(const Certificate& cert, DtlsRole role, const DtlsOptions& options) {
  gnutls_session_t s = nullptr;
  const unsigned flags = GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | GNUTLS_NO_TICKETS |
                         (role == DtlsRole::Client ? GNUTLS_CLIENT : GNUTLS_SERVER);
  gnutls::check(gnutls_init(&s, flags), "DTLS session init");
  gnutls::SessionPtr session(s);
  gnutls::check(gnutls_priority_set(s, dtls_priority()), "DTLS priority");
  gnutls_certificate_credentials_t cred = cert.native().credentials.get();
  gnutls::check(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), "DTLS credentials");
  // RFC 5763 §5: both endpoints present certificates; the server asks for the client's.
  if (role == DtlsRole::Server) gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
  gnutls_dtls_set_mtu(s, 1200);
  // Loopback round trips are microseconds; GnuTLS's 1 s first retransmission
  // would dominate any lost-packet case (docs/architecture.md, measured facts).
  gnutls_dtls_set_timeouts(s, 100, 30000);
  // RFC 5764 §4.1.1: the client lists its profiles in preference order; the
  // server picks one of them or leaves use_srtp out of its ServerHello.
  for (const SrtpProfile p : options.srtp_profiles)
    gnutls::check(gnutls_srtp_set_profile(s, static_cast<gnutls_srtp_profile_t>(p)), "DTLS-SRTP profile");
  return session;
}

}  // namespace

DtlsEndpoint::DtlsEndpoint(MainLoop& loop, const Certificate& cert, DtlsRole role, DtlsCallbacks callbacks,
                           const DtlsOptions& options)
    : loop_(loop),
      role_(role),
      cb_(std::move(callbacks)),
      impl_(std::make_unique<Impl>()),
      cert_(cert),
      options_(options) {
  hold_ = options.hold_key_exchange && role == DtlsRole::Client;
  gnutls_certificate_set_verify_function(cert.native().credentials.get(), &Impl::verify);
  impl_->session = make_session(cert, role, options);
  Impl::attach(this, impl_->session.get());
}

void DtlsEndpoint::Impl::attach(DtlsEndpoint* self, gnutls_session_t s) {
  gnutls_session_set_ptr(s, self);
  gnutls_transport_set_ptr(s, self);
  gnutls_transport_set_push_function(s, &Impl::push);
  gnutls_transport_set_pull_function(s, &Impl::pull);
  gnutls_transport_set_pull_timeout_function(s, &Impl::pull_timeout);
  gnutls_session_set_keylog_function(s, &Impl::key_log);
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
  // What a grind replays to each try: the server's first flight (and any
  // retransmission of it) as received.
  if (hold_ && !held_ && !grind_ && state_ == State::Handshaking && server_flight_.size() < 64)
    server_flight_.emplace_back(datagram.begin(), datagram.end());
  if (state_ == State::Idle && role_ == DtlsRole::Server) state_ = State::Handshaking;
  if (held_) return;  // queued for whichever session goes on
  if (state_ == State::Handshaking) step();
  else if (state_ == State::Connected) read_records();
}

void DtlsEndpoint::step() {
  if (in_step_) return;  // push() may re-enter through a synchronous transport
  // GnuTLS answers GNUTLS_E_AGAIN also when it dropped one record (a
  // retransmission of the peer's flight, an old epoch's record, a bad one),
  // with more records or datagrams still to read. Stopping there would leave
  // them until the next datagram arrives, which then reads an older one: the
  // endpoint falls behind for good. So call again until GnuTLS runs dry.
  int ret = 0;
  int calls = 0;
  do {
    starved_ = false;
    in_step_ = true;
    ret = gnutls_handshake(impl_->session.get());
    in_step_ = false;
  } while (ret == GNUTLS_E_AGAIN && !starved_ && ++calls < kMaxCallsPerWakeup &&
           !(hold_ && !held_ && !grind_ && !held_flight_.empty()));
  if (ret == 0) {
    timer_.cancel();
    state_ = State::Connected;
    if (cb_.on_connected) cb_.on_connected();
    if (state_ == State::Connected && !inbox_.empty()) read_records();
    return;
  }
  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED || gnutls_error_is_fatal(ret) == 0) {
    if (hold_ && !held_ && !grind_ && !held_flight_.empty()) {
      held_ = true;  // nothing more happens on this session until grind() decides
      timer_.cancel();
      if (cb_.on_flight_held) cb_.on_flight_held();
      return;
    }
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
    if (state_ == State::Handshaking && !held_) step();
  });
}

void DtlsEndpoint::read_records() {
  char buf[16384];
  for (int calls = 0; state_ == State::Connected && calls < kMaxCallsPerWakeup; ++calls) {
    starved_ = false;
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
    // As in step(): AGAIN after a dropped record is not the end of the input.
    if (n == GNUTLS_E_AGAIN && !starved_) continue;
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

Result<std::vector<std::uint8_t>> DtlsEndpoint::export_keying_material(std::string_view label, size_t length) const {
  if (state_ != State::Connected) return Error{"DTLS not connected"};
  std::vector<std::uint8_t> out(length);
  const int ret = gnutls_prf_rfc5705(impl_->session.get(), label.size(), label.data(), 0, nullptr, length,
                                     reinterpret_cast<char*>(out.data()));
  if (ret < 0) return Error{std::string("RFC 5705 exporter: ") + gnutls_strerror(ret)};
  return out;
}

void DtlsEndpoint::grind(std::string label, size_t length, std::function<bool(const std::vector<std::uint8_t>&)> accept,
                         std::uint64_t budget, std::function<void(const GrindResult&)> done) {
  if (!held_ || grind_) {
    GrindResult r;
    r.error = "no held flight to grind";
    return done(r);
  }
  grind_ = std::make_unique<Grind>();
  grind_->label = std::move(label);
  grind_->length = length;
  grind_->accept = std::move(accept);
  grind_->budget = std::max<std::uint64_t>(1, budget);
  grind_->done = std::move(done);
  grind_->start = std::chrono::steady_clock::now();
  gnutls_datum_t client_random{}, server_random{};
  gnutls_session_get_random(impl_->session.get(), &client_random, &server_random);
  grind_->client_random.assign(client_random.data, client_random.data + client_random.size);
  grind_->slice = loop_.after(std::chrono::microseconds(0), [this] { grind_slice(); });
}

void DtlsEndpoint::grind_slice() {
  Grind& g = *grind_;
  auto exporter = [&](gnutls_session_t s) -> std::optional<std::vector<std::uint8_t>> {
    std::vector<std::uint8_t> out(g.length);
    // GnuTLS 3.7.9 answers the RFC 5705 exporter as soon as the master secret
    // exists, before the Finished messages are exchanged.
    if (gnutls_prf_rfc5705(s, g.label.size(), g.label.data(), 0, nullptr, out.size(),
                           reinterpret_cast<char*>(out.data())) < 0)
      return std::nullopt;
    return out;
  };
  auto finish = [this](std::vector<std::vector<std::uint8_t>> flight) {
    Grind& gr = *grind_;
    gr.result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - gr.start).count();
    auto done = std::move(gr.done);
    const GrindResult result = gr.result;
    const bool own = !result.found || result.tries == 1;
    if (cb_.key_log && own && !impl_->own_key_log.empty()) cb_.key_log(impl_->own_key_log);
    release_held(std::move(flight));
    if (done) done(result);
  };
  // Try 0: the session's own key share.
  if (g.result.tries == 0) {
    // RFC 6347 §4.2.1 cookie exchange: the try would have to replay a second
    // ClientHello too; not handled (GnuTLS servers, as used here, send none).
    for (const auto& d : server_flight_)
      if (d.size() > 13 && d[0] == 22 && d[13] == 3) {
        g.result.error = "the server sent a HelloVerifyRequest (cookie exchange), which the grind does not replay";
        return finish(std::move(held_flight_));
      }
    ++g.result.tries;
    const auto own = exporter(impl_->session.get());
    if (!own) {
      g.result.error = "the exporter is not available before the Finished messages";
      return finish(std::move(held_flight_));
    }
    if (g.accept(*own)) {
      g.result.found = true;
      return finish(std::move(held_flight_));
    }
  }
  // A slice of tries, then back to the loop so the other sessions run.
  const auto slice_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  while (g.result.tries < g.budget && std::chrono::steady_clock::now() < slice_end) {
    ++g.result.tries;
    GrindTry t;
    t.session = make_session(cert_, DtlsRole::Client, options_);
    gnutls_session_t s = t.session.get();
    gnutls_session_set_ptr(s, this);  // the verifier and the key log find the endpoint
    gnutls_transport_set_ptr(s, &t);
    gnutls_transport_set_push_function(s, &GrindTry::push);
    gnutls_transport_set_pull_function(s, &GrindTry::pull);
    gnutls_transport_set_pull_timeout_function(s, &GrindTry::pull_timeout);
    gnutls_session_set_keylog_function(s, &Impl::key_log);
    gnutls_datum_t random{g.client_random.data(), static_cast<unsigned>(g.client_random.size())};
    int ret = gnutls_handshake_set_random(s, &random);
    if (ret == 0) ret = gnutls_handshake(s);
    // The server answered one ClientHello; a try that would send another
    // (other bytes) cannot use its flight.
    if (ret != GNUTLS_E_AGAIN || t.out.size() != 1 || t.out[0] != client_hello_) {
      g.result.error = "a retry's ClientHello is not the one the server answered";
      return finish(std::move(held_flight_));
    }
    t.out.clear();
    t.in.assign(server_flight_.begin(), server_flight_.end());
    ret = gnutls_handshake(s);
    if (ret != GNUTLS_E_AGAIN || t.out.empty()) {
      g.result.error = std::string("a retry did not reach its key exchange: ") + gnutls_strerror(ret);
      return finish(std::move(held_flight_));
    }
    const auto material = exporter(s);
    if (!material) {
      g.result.error = "the exporter is not available before the Finished messages";
      return finish(std::move(held_flight_));
    }
    if (!g.accept(*material)) continue;
    // This try goes out: its session becomes the endpoint's.
    g.result.found = true;
    impl_->session = std::move(t.session);
    Impl::attach(this, impl_->session.get());
    if (cb_.key_log && !impl_->try_key_log.empty()) cb_.key_log(impl_->try_key_log);
    return finish(std::move(t.out));
  }
  if (g.result.tries >= g.budget) return finish(std::move(held_flight_));
  g.slice = loop_.after(std::chrono::microseconds(0), [this] { grind_slice(); });
}

void DtlsEndpoint::release_held(std::vector<std::vector<std::uint8_t>> flight) {
  held_ = false;
  hold_ = false;
  held_flight_.clear();
  server_flight_.clear();
  for (const auto& d : flight)
    if (cb_.send) cb_.send(d);
  if (state_ != State::Handshaking) return;
  if (!inbox_.empty()) step();
  else arm_timer();
}

}  // namespace sigtrust
