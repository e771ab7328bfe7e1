#include "net/dtls_endpoint.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/certificate.hpp"
#include "net/main_loop.hpp"

namespace sigtrust {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;

std::string sha256_of(const std::vector<std::uint8_t>& der) {
  auto fp = fingerprint_of(der, "sha-256");
  return fp.ok() ? sdp::format_fingerprint(*fp) : "error: " + fp.error().message;
}

std::string sha256_of(const Certificate& cert) { return sdp::format_fingerprint(cert.fingerprint()); }

// Two real DTLS endpoints on one main loop, wired back to back. Each datagram
// is delivered from a zero-delay timer, never from inside the sender's
// gnutls call, as a real transport would.
class DtlsPairTest : public ::testing::Test {
 protected:
  struct End {
    std::unique_ptr<DtlsEndpoint> endpoint;
    bool connected = false;
    int failures = 0;
    std::string failure;
    std::vector<std::string> received;
    bool verify_result = true;
    int verify_calls = 0;
    std::vector<std::uint8_t> verified_der;
  };

  // `tamper` may replace or add to what one end sends (it returns the datagrams to deliver).
  using Tamper = std::function<std::vector<std::vector<std::uint8_t>>(DtlsRole from, std::vector<std::uint8_t>)>;

  void make(Tamper tamper = nullptr, const DtlsOptions& client_options = {}, const DtlsOptions& server_options = {}) {
    tamper_ = std::move(tamper);
    client_.endpoint = std::make_unique<DtlsEndpoint>(loop_, alice_, DtlsRole::Client,
                                                      callbacks(client_, server_, DtlsRole::Client), client_options);
    server_.endpoint = std::make_unique<DtlsEndpoint>(loop_, bob_, DtlsRole::Server,
                                                      callbacks(server_, client_, DtlsRole::Server), server_options);
  }

  DtlsCallbacks callbacks(End& self, End& other, DtlsRole role) {
    DtlsCallbacks cb;
    cb.send = [this, &other, role](std::span<const std::uint8_t> d) {
      std::vector<std::vector<std::uint8_t>> out;
      if (tamper_) out = tamper_(role, {d.begin(), d.end()});
      else out.emplace_back(d.begin(), d.end());
      for (auto& dgram : out) {
        ++datagrams_;
        pending_.push_back(loop_.after(0us, [&other, bytes = std::move(dgram)] {
          if (other.endpoint) other.endpoint->receive(bytes);
        }));
      }
    };
    cb.verify = [&self](std::span<const std::uint8_t> der) {
      ++self.verify_calls;
      self.verified_der.assign(der.begin(), der.end());
      return self.verify_result;
    };
    cb.on_connected = [&self] { self.connected = true; };
    cb.on_failed = [&self](const std::string& reason) {
      ++self.failures;
      self.failure = reason;
    };
    cb.on_data = [&self](std::string_view data) { self.received.emplace_back(data); };
    cb.on_flight_held = [this] { ++held_; };
    return cb;
  }

  bool run_until(const std::function<bool()>& done) { return loop_.run_until(done, Clock::now() + kDeadline); }

  bool both_connected() const { return client_.connected && server_.connected; }
  bool both_failed() const {
    return client_.endpoint->state() == DtlsEndpoint::State::Failed &&
           server_.endpoint->state() == DtlsEndpoint::State::Failed;
  }

  bool handshake() {
    client_.endpoint->start();
    return run_until([&] { return both_connected() || client_.failures > 0 || server_.failures > 0; }) &&
           both_connected();
  }

  MainLoop loop_;
  Certificate alice_{"alice"};
  Certificate bob_{"bob"};
  Tamper tamper_;
  std::deque<Timer> pending_;  // deliveries in flight (destroyed before the loop)
  int datagrams_ = 0;
  int held_ = 0;  // on_flight_held calls
  End client_, server_;  // endpoints destroyed first
};

TEST_F(DtlsPairTest, HandshakeCompletes) {
  make();
  ASSERT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
  EXPECT_EQ(client_.endpoint->state(), DtlsEndpoint::State::Connected);
  EXPECT_EQ(server_.endpoint->state(), DtlsEndpoint::State::Connected);
  EXPECT_EQ(client_.endpoint->role(), DtlsRole::Client);
  EXPECT_EQ(server_.endpoint->role(), DtlsRole::Server);
  EXPECT_EQ(client_.failures + server_.failures, 0);
  EXPECT_GT(client_.endpoint->bytes_in(), 0u);
  EXPECT_GT(server_.endpoint->bytes_in(), 0u);
}

TEST_F(DtlsPairTest, EachSeesTheOthersCertificate) {
  make();
  ASSERT_TRUE(handshake());
  // RFC 5763 §5: certificates both ways.
  EXPECT_EQ(client_.endpoint->peer_certificate(), bob_.der());
  EXPECT_EQ(server_.endpoint->peer_certificate(), alice_.der());
  EXPECT_EQ(sha256_of(client_.endpoint->peer_certificate()), sha256_of(bob_));
  EXPECT_EQ(sha256_of(server_.endpoint->peer_certificate()), sha256_of(alice_));
  // The verifier was shown the same certificate.
  EXPECT_EQ(client_.verify_calls, 1);
  EXPECT_EQ(server_.verify_calls, 1);
  EXPECT_EQ(client_.verified_der, bob_.der());
  EXPECT_EQ(server_.verified_der, alice_.der());
}

TEST_F(DtlsPairTest, DataFlowsBothWays) {
  make();
  ASSERT_TRUE(handshake());
  EXPECT_TRUE(client_.endpoint->send("hello bob"));
  EXPECT_TRUE(server_.endpoint->send("hello alice"));
  EXPECT_TRUE(server_.endpoint->send("second"));
  ASSERT_TRUE(run_until([&] { return client_.received.size() == 2 && server_.received.size() == 1; }));
  EXPECT_EQ(server_.received, std::vector<std::string>{"hello bob"});
  EXPECT_EQ(client_.received, (std::vector<std::string>{"hello alice", "second"}));
}

TEST_F(DtlsPairTest, SendBeforeConnectedReturnsFalse) {
  make();
  EXPECT_FALSE(client_.endpoint->send("too early"));
  EXPECT_FALSE(server_.endpoint->send("too early"));
}

TEST_F(DtlsPairTest, ClientVerifierRefusingFailsBothEnds) {
  make();
  client_.verify_result = false;
  client_.endpoint->start();
  EXPECT_TRUE(run_until([&] { return both_failed(); }))
      << "client state " << static_cast<int>(client_.endpoint->state()) << " server state "
      << static_cast<int>(server_.endpoint->state());
  EXPECT_FALSE(client_.connected);
  EXPECT_FALSE(server_.connected);
  EXPECT_EQ(client_.failures, 1);
  EXPECT_NE(client_.failure.find("certificate"), std::string::npos) << client_.failure;
}

TEST_F(DtlsPairTest, ServerVerifierRefusingFailsBothEnds) {
  make();
  server_.verify_result = false;
  client_.endpoint->start();
  EXPECT_TRUE(run_until([&] { return both_failed(); }))
      << "client state " << static_cast<int>(client_.endpoint->state()) << " server state "
      << static_cast<int>(server_.endpoint->state());
  EXPECT_FALSE(server_.connected);
  EXPECT_EQ(server_.failures, 1);
  EXPECT_NE(server_.failure.find("certificate"), std::string::npos) << server_.failure;
  // The client must not end up believing it is connected to a peer that refused it.
  EXPECT_NE(client_.endpoint->state(), DtlsEndpoint::State::Connected);
}

TEST_F(DtlsPairTest, ExportedKeyingMaterialIsEqualOnBothEnds) {
  make();
  ASSERT_TRUE(handshake());
  auto a = client_.endpoint->export_keying_material("EXTRACTOR-sigtrust-test", 32);
  auto b = server_.endpoint->export_keying_material("EXTRACTOR-sigtrust-test", 32);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(*a, *b);
  // Another label gives other bytes.
  auto c = client_.endpoint->export_keying_material("EXTRACTOR-other", 32);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);
}

TEST_F(DtlsPairTest, ExportBeforeConnectedIsAnError) {
  make();
  EXPECT_FALSE(client_.endpoint->export_keying_material("EXTRACTOR-sigtrust-test", 32).ok());
}

TEST_F(DtlsPairTest, GarbageDuringHandshakeDoesNotCrash) {
  // After every real datagram, also deliver noise: random-looking bytes, an
  // empty datagram, a truncated DTLS record header and a huge datagram.
  make([](DtlsRole, std::vector<std::uint8_t> real) {
    std::vector<std::vector<std::uint8_t>> out;
    out.push_back(std::move(real));
    std::vector<std::uint8_t> noise(61);
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 37 + 11);
    out.push_back(noise);
    out.push_back({});
    out.push_back({22, 0xFE, 0xFD, 0, 0});  // handshake record header, cut short
    out.push_back(std::vector<std::uint8_t>(70000, 0x17));  // larger than any buffer
    return out;
  });
  client_.endpoint->start();
  const bool settled = run_until([&] {
    return both_connected() || client_.endpoint->state() == DtlsEndpoint::State::Failed ||
           server_.endpoint->state() == DtlsEndpoint::State::Failed;
  });
  EXPECT_TRUE(settled) << "neither completed nor failed within the deadline";
  if (both_connected()) {
    EXPECT_EQ(sha256_of(client_.endpoint->peer_certificate()), sha256_of(bob_));
    EXPECT_TRUE(client_.endpoint->send("still works"));
    EXPECT_TRUE(run_until([&] { return !server_.received.empty(); }));
  } else {
    // A clean failure: reported once with a reason.
    const End& failed = client_.endpoint->state() == DtlsEndpoint::State::Failed ? client_ : server_;
    EXPECT_EQ(failed.failures, 1);
    EXPECT_FALSE(failed.failure.empty());
  }
}

// One kind of junk per run, injected after every real datagram. DTLS discards
// invalid records (RFC 6347 §4.1.2.7), so none of them should stop the handshake.
class DtlsJunkTest : public DtlsPairTest, public ::testing::WithParamInterface<int> {};

std::vector<std::uint8_t> junk(int kind) {
  switch (kind) {
    case 0: {
      std::vector<std::uint8_t> noise(61);
      for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 37 + 11);
      return noise;
    }
    case 1: return {};
    case 2: return {22, 0xFE, 0xFD, 0, 0};
    default: return std::vector<std::uint8_t>(70000, 0x17);
  }
}

TEST_P(DtlsJunkTest, HandshakeCompletesDespiteJunk) {
  const int kind = GetParam();
  make([kind](DtlsRole, std::vector<std::uint8_t> real) {
    std::vector<std::vector<std::uint8_t>> out;
    out.push_back(std::move(real));
    out.push_back(junk(kind));
    return out;
  });
  EXPECT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
}

INSTANTIATE_TEST_SUITE_P(Kinds, DtlsJunkTest, ::testing::Values(0, 1, 2, 3));

TEST_F(DtlsPairTest, GarbageBeforeClientHelloIsDiscarded) {
  make();
  const std::vector<std::uint8_t> short_junk = {0xde, 0xad, 0xbe, 0xef};
  const std::vector<std::uint8_t> record_sized_junk(40, 0xab);
  for (const auto* junk : {&short_junk, &record_sized_junk}) {
    server_.endpoint->receive(*junk);
    client_.endpoint->receive(*junk);  // a client that has not started yet
  }
  EXPECT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
}

TEST_F(DtlsPairTest, DatagramAfterFailureIsIgnored) {
  make();
  client_.verify_result = false;
  client_.endpoint->start();
  ASSERT_TRUE(run_until([&] { return client_.endpoint->state() == DtlsEndpoint::State::Failed; }));
  const auto bytes_before = client_.endpoint->bytes_in();
  const int sent_before = datagrams_;
  const std::vector<std::uint8_t> late = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  client_.endpoint->receive(late);
  EXPECT_EQ(client_.endpoint->state(), DtlsEndpoint::State::Failed);
  EXPECT_EQ(client_.endpoint->bytes_in(), bytes_before);
  EXPECT_EQ(client_.failures, 1);
  EXPECT_EQ(datagrams_, sent_before);  // nothing answered
  EXPECT_FALSE(client_.endpoint->send("after failure"));
}

// A client that retransmits its handshake flights after the handshake (its
// peer's answer was slow, as a browser's under load): one datagram of several
// epoch-0 records, which the server, now reading epoch 1, cannot decrypt. GnuTLS
// drops each with GNUTLS_E_AGAIN; the endpoint must read on to the end of its
// input, or each later datagram would only reach the next stale record and the
// application data behind them would never arrive.
TEST_F(DtlsPairTest, RecordsAfterARetransmittedFlightAreReadOnArrival) {
  std::vector<std::uint8_t> client_flights;
  make([&](DtlsRole from, std::vector<std::uint8_t> real) {
    if (from == DtlsRole::Client && !client_.connected)
      client_flights.insert(client_flights.end(), real.begin(), real.end());
    return std::vector<std::vector<std::uint8_t>>{std::move(real)};
  });
  ASSERT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
  ASSERT_GT(client_flights.size(), 13u);
  for (int i = 0; i < 3; ++i) server_.endpoint->receive(client_flights);
  ASSERT_TRUE(client_.endpoint->send("after the retransmissions"));
  EXPECT_TRUE(run_until([&] { return !server_.received.empty(); }));
  EXPECT_EQ(server_.received, std::vector<std::string>{"after the retransmissions"});
  EXPECT_EQ(server_.endpoint->state(), DtlsEndpoint::State::Connected);
}

TEST_F(DtlsPairTest, CloseNotifyReachesThePeer) {
  make();
  bool closed = false;
  // Rebuild the server with an on_closed callback.
  auto cb = callbacks(server_, client_, DtlsRole::Server);
  cb.on_closed = [&closed] { closed = true; };
  server_.endpoint = std::make_unique<DtlsEndpoint>(loop_, bob_, DtlsRole::Server, std::move(cb));
  ASSERT_TRUE(handshake());
  client_.endpoint->close();
  EXPECT_EQ(client_.endpoint->state(), DtlsEndpoint::State::Closed);
  EXPECT_TRUE(run_until([&] { return closed; }));
  EXPECT_EQ(server_.endpoint->state(), DtlsEndpoint::State::Closed);
}

// RFC 5764: by default both ends offer use_srtp as a browser does, and agree
// on the first profile of the client's list.
TEST_F(DtlsPairTest, SrtpProfileIsNegotiated) {
  make();
  ASSERT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
  ASSERT_TRUE(client_.endpoint->srtp_profile().has_value());
  ASSERT_TRUE(server_.endpoint->srtp_profile().has_value());
  EXPECT_EQ(*client_.endpoint->srtp_profile(), SrtpProfile::Aes128CmHmacSha1_80);
  EXPECT_EQ(*server_.endpoint->srtp_profile(), SrtpProfile::Aes128CmHmacSha1_80);
}

TEST_F(DtlsPairTest, ServerSelectsAProfileTheClientOffered) {
  DtlsOptions client;
  client.srtp_profiles = {SrtpProfile::Aes128CmHmacSha1_32};
  make(nullptr, client);
  ASSERT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
  EXPECT_EQ(client_.endpoint->srtp_profile(), SrtpProfile::Aes128CmHmacSha1_32);
  EXPECT_EQ(server_.endpoint->srtp_profile(), SrtpProfile::Aes128CmHmacSha1_32);
}

TEST_F(DtlsPairTest, SrtpKeysAreTheExporterOutputSplitPerDirection) {
  make();
  ASSERT_TRUE(handshake());
  auto a = client_.endpoint->srtp_keys();
  auto b = server_.endpoint->srtp_keys();
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->client_key, b->client_key);
  EXPECT_EQ(a->server_salt, b->server_salt);
  EXPECT_EQ(a->client_key.size(), 16u);
  EXPECT_EQ(a->client_salt.size(), 14u);
  EXPECT_NE(a->client_key, a->server_key);
  // RFC 5764 §4.2: client key | server key | client salt | server salt.
  auto raw = client_.endpoint->export_keying_material("EXTRACTOR-dtls_srtp", 60);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(std::vector<std::uint8_t>(raw->begin(), raw->begin() + 16), a->client_key);
  EXPECT_EQ(std::vector<std::uint8_t>(raw->begin() + 16, raw->begin() + 32), a->server_key);
  EXPECT_EQ(std::vector<std::uint8_t>(raw->begin() + 32, raw->begin() + 46), a->client_salt);
  EXPECT_EQ(std::vector<std::uint8_t>(raw->begin() + 46, raw->end()), a->server_salt);
}

// A peer that offers no use_srtp (a data-channel-only stack) still connects,
// with no profile; so does a server that answers without it.
TEST_F(DtlsPairTest, ClientOfferingNoSrtpStillConnects) {
  make(nullptr, DtlsOptions{.srtp_profiles = {}});
  ASSERT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
  EXPECT_FALSE(client_.endpoint->srtp_profile().has_value());
  EXPECT_FALSE(server_.endpoint->srtp_profile().has_value());
  EXPECT_FALSE(server_.endpoint->srtp_keys().ok());
  EXPECT_TRUE(client_.endpoint->send("data only"));
  EXPECT_TRUE(run_until([&] { return !server_.received.empty(); }));
}

TEST_F(DtlsPairTest, ServerWithoutSrtpStillConnects) {
  make(nullptr, {}, DtlsOptions{.srtp_profiles = {}});
  ASSERT_TRUE(handshake()) << "client: " << client_.failure << " server: " << server_.failure;
  EXPECT_FALSE(client_.endpoint->srtp_profile().has_value());
  EXPECT_FALSE(server_.endpoint->srtp_profile().has_value());
}

// ----- grind (sas-grind-mitm) ------------------------------------------------

GrindResult grind(MainLoop& loop, DtlsEndpoint& e, std::uint64_t budget,
                  std::function<bool(const std::vector<std::uint8_t>&)> accept) {
  std::optional<GrindResult> r;
  e.grind("EXTRACTOR-test", 4, std::move(accept), budget, [&](const GrindResult& g) { r = g; });
  loop.run_until([&] { return r.has_value(); }, Clock::now() + 60s);
  return r.value_or(GrindResult{false, 0, 0, "grind never ended"});
}

TEST_F(DtlsPairTest, HeldClientStopsAfterTheServersFlightUntilGrind) {
  DtlsOptions hold;
  hold.hold_key_exchange = true;
  make(nullptr, hold);
  client_.endpoint->start();
  ASSERT_TRUE(run_until([&] { return held_ > 0; }));
  EXPECT_EQ(held_, 1);
  EXPECT_TRUE(client_.endpoint->flight_held());
  EXPECT_EQ(server_.endpoint->state(), DtlsEndpoint::State::Handshaking);
  EXPECT_FALSE(client_.connected);
}

// A 5-bit target (the exporter's leftmost 5 bits zero): about 32 tries; 4096
// miss with probability (31/32)^4096, about 1e-56. The server then finishes
// the handshake against the winning try, and its exporter is the predicted one.
TEST_F(DtlsPairTest, GrindFindsAShareAndTheServerGetsThePredictedExporter) {
  DtlsOptions hold;
  hold.hold_key_exchange = true;
  make(nullptr, hold);
  client_.endpoint->start();
  ASSERT_TRUE(run_until([&] { return held_ > 0; }));
  std::vector<std::uint8_t> predicted;
  const auto r = grind(loop_, *client_.endpoint, 4096, [&](const std::vector<std::uint8_t>& b) {
    if ((b.at(0) >> 3) != 0) return false;
    predicted = b;
    return true;
  });
  EXPECT_TRUE(r.error.empty()) << r.error;
  ASSERT_TRUE(r.found);
  EXPECT_GE(r.tries, 1u);
  EXPECT_LE(r.tries, 4096u);
  ASSERT_TRUE(run_until([&] { return both_connected(); }));
  const auto server = server_.endpoint->export_keying_material("EXTRACTOR-test", 4);
  const auto client = client_.endpoint->export_keying_material("EXTRACTOR-test", 4);
  ASSERT_TRUE(server.ok() && client.ok());
  EXPECT_EQ(*server, predicted);
  EXPECT_EQ(*client, predicted);
  EXPECT_TRUE(client_.endpoint->send("after the grind"));
  ASSERT_TRUE(run_until([&] { return !server_.received.empty(); }));
  EXPECT_EQ(server_.received, std::vector<std::string>{"after the grind"});
}

TEST_F(DtlsPairTest, GrindThatFindsNothingSendsTheFirstShare) {
  DtlsOptions hold;
  hold.hold_key_exchange = true;
  make(nullptr, hold);
  client_.endpoint->start();
  ASSERT_TRUE(run_until([&] { return held_ > 0; }));
  std::vector<std::vector<std::uint8_t>> seen;
  const auto r = grind(loop_, *client_.endpoint, 8, [&](const std::vector<std::uint8_t>& b) {
    seen.push_back(b);
    return false;
  });
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.found);
  EXPECT_EQ(r.tries, 8u);
  ASSERT_EQ(seen.size(), 8u);
  ASSERT_TRUE(run_until([&] { return both_connected(); }));
  // The first share (try 1, the session's own) went out.
  EXPECT_EQ(*server_.endpoint->export_keying_material("EXTRACTOR-test", 4), seen[0]);
  // Every try had a share of its own.
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_F(DtlsPairTest, GrindWithoutAHeldFlightIsRefused) {
  make();
  const auto r = grind(loop_, *client_.endpoint, 8, [](const auto&) { return true; });
  EXPECT_FALSE(r.found);
  EXPECT_EQ(r.error, "no held flight to grind");
  EXPECT_TRUE(handshake()) << "the endpoint is unharmed";
}

TEST(SrtpProfileNames, AreTheRfc5764Names) {
  EXPECT_EQ(to_string(SrtpProfile::Aes128CmHmacSha1_80), "SRTP_AES128_CM_HMAC_SHA1_80");
  EXPECT_EQ(to_string(SrtpProfile::Aes128CmHmacSha1_32), "SRTP_AES128_CM_HMAC_SHA1_32");
}

TEST(DtlsRoleNames, ClientAndServer) {
  EXPECT_EQ(to_string(DtlsRole::Client), "client");
  EXPECT_EQ(to_string(DtlsRole::Server), "server");
}

}  // namespace
}  // namespace sigtrust
