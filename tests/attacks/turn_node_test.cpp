// The project's own TURN server: real libnice agents relay through it, and a
// raw client built on libnice's STUN library walks the protocol's corners.
#include "attacks/turn_node.hpp"

#include <gtest/gtest.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>
#include <stun/usages/bind.h>
#include <stun/usages/turn.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "node_test_support.hpp"
#include "attacks/udp_socket.hpp"
#include "net/ice_agent.hpp"

namespace sigtrust::attacks {
namespace {

using namespace std::chrono_literals;
using namespace sigtrust::attacks::node_test;

constexpr char kTurnAddress[] = "127.0.0.4";
constexpr char kAliceAddress[] = "127.0.0.2";
constexpr char kBobAddress[] = "127.0.0.3";
constexpr char kOutsiderAddress[] = "127.0.0.6";
constexpr char kUser[] = "alice";
constexpr char kPassword[] = "correct horse battery staple";

class TurnNodeTest : public ::testing::Test {
 protected:
  MainLoop loop;
  MainLoop::ThreadDefault thread_default{loop};
  Timeline timeline;
  RecordingTap tap;
  TurnNode turn{loop, kTurnAddress, TurnCredentials{kUser, kPassword}, timeline};
  std::unique_ptr<Peer> alice, bob;

  IceOptions relay_only(const char* address, bool controlling, const std::string& password) {
    IceOptions o;
    o.local_address = address;
    o.controlling = controlling;
    o.turn = IceServer{kTurnAddress, turn.port(), kUser, password};
    o.relay_only = true;
    return o;
  }

  bool timeline_has(std::string_view kind) const {
    const auto& events = timeline.events();
    return std::any_of(events.begin(), events.end(), [&](const TimelineEvent& e) { return e.kind == kind; });
  }

  // Both agents gather through the TURN node, learn each other's candidates
  // directly (no signaling), and connect.
  void connect() {
    alice = std::make_unique<Peer>(loop, relay_only(kAliceAddress, true, kPassword));
    bob = std::make_unique<Peer>(loop, relay_only(kBobAddress, false, kPassword));
    alice->agent->gather();
    bob->agent->gather();
    ASSERT_TRUE(loop.run_until([&] { return alice->local && bob->local; }, deadline()));
    ASSERT_EQ(alice->candidates_of_type("relay"), 1u);
    ASSERT_EQ(bob->candidates_of_type("relay"), 1u);
    ASSERT_TRUE(alice->agent->set_remote(bob->local->ufrag, bob->local->pwd, bob->local->candidates).ok());
    ASSERT_TRUE(bob->agent->set_remote(alice->local->ufrag, alice->local->pwd, alice->local->candidates).ok());
    ASSERT_TRUE(loop.run_until([&] { return (alice->pair && bob->pair) || alice->failed || bob->failed; }, deadline()));
    ASSERT_TRUE(alice->pair && bob->pair) << "ICE failed through the TURN node";
  }

  // Sends once (loopback UDP does not lose datagrams) and waits for anything to arrive.
  bool deliver(Peer& from, Peer& to, const std::string& payload) {
    const size_t before = to.received.size();
    if (!from.agent->send(bytes(payload))) return false;
    return loop.run_until([&] { return to.received.size() > before; }, deadline());
  }
};

TEST_F(TurnNodeTest, RelaysBothWaysBetweenTwoLibniceAgents) {
  turn.set_tap(&tap);
  ASSERT_NO_FATAL_FAILURE(connect());
  for (const auto* peer : {alice.get(), bob.get()}) {
    EXPECT_EQ(peer->pair->local_type, "relay");
    EXPECT_EQ(peer->pair->remote_type, "relay");
    EXPECT_EQ(peer->pair->local.rfind(std::string(kTurnAddress) + ":", 0), 0u) << peer->pair->local;
    EXPECT_EQ(peer->pair->remote.rfind(std::string(kTurnAddress) + ":", 0), 0u) << peer->pair->remote;
  }
  EXPECT_EQ(turn.allocations(), 2u);

  ASSERT_TRUE(deliver(*alice, *bob, "hello bob"));
  ASSERT_TRUE(deliver(*bob, *alice, "hello alice"));
  EXPECT_TRUE(bob->got("hello bob"));
  EXPECT_TRUE(alice->got("hello alice"));
  EXPECT_TRUE(tap.saw("hello bob", RelayDirection::ToPeer));
  EXPECT_TRUE(tap.saw("hello bob", RelayDirection::ToClient));
  EXPECT_TRUE(tap.saw("hello alice", RelayDirection::ToPeer));
  EXPECT_TRUE(tap.saw("hello alice", RelayDirection::ToClient));
  EXPECT_GT(turn.relayed_bytes(), 0u);
  EXPECT_GE(turn.unauthorized(), 2u);  // each agent's first Allocate was challenged (401)
  EXPECT_EQ(turn.malformed(), 0u);
  EXPECT_TRUE(timeline_has("turn.allocate"));
  EXPECT_TRUE(timeline_has("turn.permission"));

  // The tap names the addresses: the allocation's client, its relayed address, the peer.
  const auto it = std::find_if(tap.seen.begin(), tap.seen.end(), [](const RelayedDatagram& d) {
    return d.direction == RelayDirection::ToPeer && text(d.data) == "hello bob";
  });
  ASSERT_NE(it, tap.seen.end());
  EXPECT_EQ(it->relayed, alice->pair->local);
  EXPECT_EQ(it->peer, alice->pair->remote);
  EXPECT_EQ(it->client.rfind(std::string(kAliceAddress) + ":", 0), 0u) << it->client;
}

TEST_F(TurnNodeTest, LibniceBindsAChannelOnceThePairIsSelected) {
  ASSERT_NO_FATAL_FAILURE(connect());
  ASSERT_TRUE(deliver(*alice, *bob, "before"));
  // libnice's TURN socket binds a channel to the selected peer (RFC 8656 §12);
  // from then on both directions travel as ChannelData.
  ASSERT_TRUE(loop.run_until([&] { return timeline_has("turn.channel"); }, deadline()));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(deliver(*alice, *bob, "a" + std::to_string(i)));
    ASSERT_TRUE(deliver(*bob, *alice, "b" + std::to_string(i)));
    EXPECT_TRUE(bob->got("a" + std::to_string(i)));
    EXPECT_TRUE(alice->got("b" + std::to_string(i)));
  }
}

TEST_F(TurnNodeTest, TapReturningFalseDropsTheDatagram) {
  tap.policy = [](RelayedDatagram& d) { return !starts_with(d.data, "drop:"); };
  turn.set_tap(&tap);
  ASSERT_NO_FATAL_FAILURE(connect());
  const auto dropped_before = turn.dropped();
  alice->agent->send(bytes("drop: never arrives"));
  ASSERT_TRUE(deliver(*alice, *bob, "keep: arrives"));
  EXPECT_TRUE(bob->got("keep: arrives"));
  EXPECT_FALSE(bob->got("drop: never arrives"));
  EXPECT_TRUE(tap.saw("drop: never arrives", RelayDirection::ToPeer));
  EXPECT_GT(turn.dropped(), dropped_before);
}

TEST_F(TurnNodeTest, TapRewritingBytesChangesWhatArrives) {
  tap.policy = [](RelayedDatagram& d) {
    if (d.direction == RelayDirection::ToClient && starts_with(d.data, "secret")) {
      const std::string forged = "forged";  // same length: the tap overwrites bytes in place
      std::copy(forged.begin(), forged.end(), d.data.begin());
    }
    return true;
  };
  turn.set_tap(&tap);
  ASSERT_NO_FATAL_FAILURE(connect());
  ASSERT_TRUE(deliver(*alice, *bob, "secret for bob"));
  EXPECT_TRUE(bob->got("forged for bob"));
  EXPECT_FALSE(bob->got("secret for bob"));
  EXPECT_TRUE(tap.saw("secret for bob", RelayDirection::ToPeer));  // as alice sent it
}

TEST_F(TurnNodeTest, WrongPasswordGetsNoRelayCandidate) {
  alice = std::make_unique<Peer>(loop, relay_only(kAliceAddress, true, "not the password"));
  alice->agent->gather();
  ASSERT_TRUE(loop.run_until([&] { return alice->local.has_value(); }, deadline()));
  EXPECT_EQ(alice->candidates_of_type("relay"), 0u);
  EXPECT_EQ(turn.allocations(), 0u);
  // The first request was challenged, the second rejected: two 401s.
  EXPECT_GE(turn.unauthorized(), 2u);
  EXPECT_TRUE(timeline_has("turn.auth-failed"));
}

// ---- A raw TURN client built from libnice's STUN usages --------------------

struct Datagram {
  Endpoint from;
  std::vector<std::uint8_t> data;
};

// A UDP socket that keeps what it receives.
struct Listener {
  std::vector<Datagram> inbox;
  UdpSocket socket;
  Listener(MainLoop& loop, const char* address)
      : socket(loop, address, [this](const Endpoint& from, std::span<const std::uint8_t> d) {
          inbox.push_back({from, std::vector<std::uint8_t>(d.begin(), d.end())});
        }) {}

  // Waits for, and removes, the first datagram `match` accepts.
  std::optional<Datagram> await(MainLoop& loop, const std::function<bool(const Datagram&)>& match,
                                Clock::time_point until = deadline()) {
    std::optional<Datagram> found;
    loop.run_until(
        [&] {
          const auto it = std::find_if(inbox.begin(), inbox.end(), match);
          if (it == inbox.end()) return false;
          found = std::move(*it);
          inbox.erase(it);
          return true;
        },
        until);
    return found;
  }
  bool quiet_for(MainLoop& loop, std::chrono::milliseconds d) {
    loop.run_until([] { return false; }, Clock::now() + d);
    return inbox.empty();
  }
};

std::uint8_t* u8(const std::string& s) { return reinterpret_cast<std::uint8_t*>(const_cast<char*>(s.data())); }

class RawClient {
 public:
  struct Reply {
    std::vector<std::uint8_t> data;
    StunMessage msg{};
    StunValidationStatus status = STUN_VALIDATION_NOT_STUN;
    int error = 0;  // the ERROR-CODE of an error response; 0 for success
    std::string attribute(StunAttribute type) const {
      char buf[800] = {};
      return stun_message_find_string(&msg, type, buf, sizeof buf) == STUN_MESSAGE_RETURN_SUCCESS ? buf : "";
    }
  };

  RawClient(MainLoop& loop, const char* address, Endpoint server, std::string password = kPassword)
      : loop_(loop), server_(server), password_(std::move(password)), listener_(loop, address) {
    stun_agent_init(&agent_, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
  }

  const Endpoint& local() const { return listener_.socket.local(); }
  Listener& listener() { return listener_; }
  const std::vector<std::uint8_t>& last_sent() const { return last_sent_; }

  void send_raw(std::span<const std::uint8_t> d) {
    last_sent_.assign(d.begin(), d.end());
    listener_.socket.send_to(server_, d);
  }

  // Sends the request just built (len bytes) and waits for the reply to its transaction.
  std::unique_ptr<Reply> transact(size_t len) {
    if (len == 0) return nullptr;
    StunTransactionId id;
    stun_message_id(&req_, id);
    send_raw({out_.data(), len});
    auto got = listener_.await(loop_, [&](const Datagram& d) {
      return d.data.size() >= 20 && (d.data[0] >> 6) == 0 && std::memcmp(d.data.data() + 4, id, sizeof id) == 0;
    });
    if (!got) return nullptr;
    auto reply = std::make_unique<Reply>();
    reply->data = std::move(got->data);
    // The client's agent checks MESSAGE-INTEGRITY with the request's long-term key.
    reply->status = stun_agent_validate(&agent_, &reply->msg, reply->data.data(), reply->data.size(), nullptr, nullptr);
    if (reply->status == STUN_VALIDATION_SUCCESS && stun_message_get_class(&reply->msg) == STUN_ERROR)
      stun_message_find_error(&reply->msg, &reply->error);
    return reply;
  }

  // The long-term credential dance: an unauthenticated Allocate, the 401 with
  // REALM and NONCE, then the authenticated Allocate.
  std::unique_ptr<Reply> allocate() {
    auto challenge = transact(stun_usage_turn_create(
        &agent_, &req_, out_.data(), out_.size(), nullptr, STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1, u8(user_),
        user_.size(), u8(password_), password_.size(), STUN_USAGE_TURN_COMPATIBILITY_RFC5766));
    if (!challenge || challenge->error != STUN_ERROR_UNAUTHORIZED) return challenge;
    realm_ = challenge->attribute(STUN_ATTRIBUTE_REALM);
    nonce_ = challenge->attribute(STUN_ATTRIBUTE_NONCE);
    return transact(stun_usage_turn_create(&agent_, &req_, out_.data(), out_.size(), &challenge->msg,
                                           STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1, u8(user_), user_.size(),
                                           u8(password_), password_.size(), STUN_USAGE_TURN_COMPATIBILITY_RFC5766));
  }

  // An authenticated request of `method` with the cached REALM and NONCE
  // (`nonce` overrides it; an empty one leaves NONCE out).
  size_t build(StunMethod method, const std::function<void(StunMessage&)>& add,
               std::optional<std::string> nonce = std::nullopt) {
    if (!stun_agent_init_request(&agent_, &req_, out_.data(), out_.size(), method)) return 0;
    if (add) add(req_);
    const std::string n = nonce.value_or(nonce_);
    stun_message_append_string(&req_, STUN_ATTRIBUTE_USERNAME, user_.c_str());
    stun_message_append_string(&req_, STUN_ATTRIBUTE_REALM, realm_.c_str());
    if (!n.empty()) stun_message_append_string(&req_, STUN_ATTRIBUTE_NONCE, n.c_str());
    return stun_agent_finish_message(&agent_, &req_, u8(password_), password_.size());
  }
  std::unique_ptr<Reply> request(StunMethod method, const std::function<void(StunMessage&)>& add = {},
                                 std::optional<std::string> nonce = std::nullopt) {
    return transact(build(method, add, std::move(nonce)));
  }

  static void add_peer(StunMessage& m, const Endpoint& peer) {
    const sockaddr_storage sa = peer.to_sockaddr();
    stun_message_append_xor_addr(&m, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &sa, sizeof sa);
  }

  void send_indication(const Endpoint& peer, std::string_view payload) {
    StunMessage ind{};
    stun_agent_init_indication(&agent_, &ind, out_.data(), out_.size(), STUN_IND_SEND);
    add_peer(ind, peer);
    stun_message_append_bytes(&ind, STUN_ATTRIBUTE_DATA, payload.data(), payload.size());
    send_raw({out_.data(), stun_agent_finish_message(&agent_, &ind, nullptr, 0)});
  }
  void send_channel_data(std::uint16_t channel, std::string_view payload, std::uint16_t claimed_length) {
    std::vector<std::uint8_t> d{static_cast<std::uint8_t>(channel >> 8), static_cast<std::uint8_t>(channel),
                                static_cast<std::uint8_t>(claimed_length >> 8),
                                static_cast<std::uint8_t>(claimed_length)};
    d.insert(d.end(), payload.begin(), payload.end());
    send_raw(d);
  }
  void send_channel_data(std::uint16_t channel, std::string_view payload) {
    send_channel_data(channel, payload, static_cast<std::uint16_t>(payload.size()));
  }

  // The next Data indication from the server: (XOR-PEER-ADDRESS, DATA).
  std::optional<std::pair<Endpoint, std::string>> await_data_indication() {
    auto got = listener_.await(loop_, [](const Datagram& d) { return !d.data.empty() && (d.data[0] >> 6) == 0; });
    if (!got) return std::nullopt;
    StunMessage msg{};
    if (stun_agent_validate(&agent_, &msg, got->data.data(), got->data.size(), nullptr, nullptr) !=
            STUN_VALIDATION_SUCCESS ||
        stun_message_get_class(&msg) != STUN_INDICATION || stun_message_get_method(&msg) != STUN_IND_DATA)
      return std::nullopt;
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    uint16_t data_len = 0;
    const auto* data = static_cast<const char*>(stun_message_find(&msg, STUN_ATTRIBUTE_DATA, &data_len));
    if (stun_message_find_xor_addr(&msg, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &sa, &len) != STUN_MESSAGE_RETURN_SUCCESS ||
        !data)
      return std::nullopt;
    return std::pair{*Endpoint::from_sockaddr(sa), std::string(data, data_len)};
  }
  // The next ChannelData message from the server: (channel, payload).
  std::optional<std::pair<std::uint16_t, std::string>> await_channel_data() {
    auto got = listener_.await(loop_, [](const Datagram& d) { return d.data.size() >= 4 && (d.data[0] >> 6) == 1; });
    if (!got) return std::nullopt;
    const auto& d = got->data;
    const auto channel = static_cast<std::uint16_t>((d[0] << 8) | d[1]);
    const size_t len = static_cast<size_t>((d[2] << 8) | d[3]);
    if (len + 4 > d.size()) return std::nullopt;
    return std::pair{channel, std::string(d.begin() + 4, d.begin() + 4 + static_cast<std::ptrdiff_t>(len))};
  }

 private:
  MainLoop& loop_;
  Endpoint server_;
  std::string user_ = kUser;
  std::string password_;
  std::string realm_, nonce_;
  Listener listener_;
  StunAgent agent_{};
  StunMessage req_{};
  std::vector<std::uint8_t> out_ = std::vector<std::uint8_t>(STUN_MAX_MESSAGE_SIZE);
  std::vector<std::uint8_t> last_sent_;
};

struct Allocated {
  Endpoint relayed, mapped;
  std::uint32_t lifetime = 0;
};

std::optional<Allocated> parse_allocation(RawClient::Reply& reply) {
  sockaddr_storage relayed{}, mapped{};
  socklen_t relayed_len = sizeof relayed, mapped_len = sizeof mapped;
  std::uint32_t bandwidth = 0, lifetime = 0;
  const auto r = stun_usage_turn_process(&reply.msg, &relayed, &relayed_len, &mapped, &mapped_len, nullptr, nullptr,
                                         &bandwidth, &lifetime, STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
  if (r != STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS) return std::nullopt;
  return Allocated{*Endpoint::from_sockaddr(relayed), *Endpoint::from_sockaddr(mapped), lifetime};
}

class TurnProtocolTest : public ::testing::Test {
 protected:
  MainLoop loop;
  MainLoop::ThreadDefault thread_default{loop};
  Timeline timeline;
  TurnNode turn{loop, kTurnAddress, TurnCredentials{kUser, kPassword}, timeline};
  Endpoint server = *Endpoint::from_ip(kTurnAddress, turn.port());

  bool timeline_has(std::string_view kind) const {
    const auto& events = timeline.events();
    return std::any_of(events.begin(), events.end(), [&](const TimelineEvent& e) { return e.kind == kind; });
  }
};

TEST_F(TurnProtocolTest, AllocateRefreshAndDeallocateWithLongTermCredentials) {
  RawClient client(loop, kAliceAddress, server);
  auto reply = client.allocate();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, STUN_VALIDATION_SUCCESS);  // MESSAGE-INTEGRITY checked by libnice with the long-term key
  ASSERT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE) << "error " << reply->error;
  EXPECT_TRUE(stun_message_has_attribute(&reply->msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY));
  EXPECT_TRUE(stun_message_has_attribute(&reply->msg, STUN_ATTRIBUTE_FINGERPRINT));
  const auto allocated = parse_allocation(*reply);
  ASSERT_TRUE(allocated);
  EXPECT_EQ(allocated->relayed.ip_string(), kTurnAddress);
  EXPECT_NE(allocated->relayed.port, turn.port());
  EXPECT_EQ(allocated->mapped, client.local());
  EXPECT_EQ(allocated->lifetime, 600u);  // RFC 8656 §6: the default lifetime
  EXPECT_EQ(turn.allocations(), 1u);
  EXPECT_EQ(turn.unauthorized(), 1u);  // the challenge

  // A retransmission of the same Allocate gets the same answer (RFC 8656 §5)...
  const auto first_answer = reply->data;
  client.send_raw(client.last_sent());
  const auto again = client.listener().await(loop, [](const Datagram&) { return true; });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data, first_answer);
  // ...a new Allocate on the same 5-tuple is a 437 (RFC 8656 §7.2).
  reply = client.request(
      STUN_ALLOCATE, [](StunMessage& m) { stun_message_append32(&m, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, 17u << 24); });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_ALLOCATION_MISMATCH);

  // Refresh: a lifetime above the maximum is capped at 3600 s (RFC 8656 §8.2).
  reply =
      client.request(STUN_REFRESH, [](StunMessage& m) { stun_message_append32(&m, STUN_ATTRIBUTE_LIFETIME, 99999); });
  ASSERT_TRUE(reply);
  ASSERT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE);
  std::uint32_t lifetime = 0;
  ASSERT_EQ(stun_message_find32(&reply->msg, STUN_ATTRIBUTE_LIFETIME, &lifetime), STUN_MESSAGE_RETURN_SUCCESS);
  EXPECT_EQ(lifetime, 3600u);

  // Lifetime 0 deletes the allocation; after that, requests get 437 (RFC 8656 §5).
  reply = client.request(STUN_REFRESH, [](StunMessage& m) { stun_message_append32(&m, STUN_ATTRIBUTE_LIFETIME, 0); });
  ASSERT_TRUE(reply);
  ASSERT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE);
  ASSERT_EQ(stun_message_find32(&reply->msg, STUN_ATTRIBUTE_LIFETIME, &lifetime), STUN_MESSAGE_RETURN_SUCCESS);
  EXPECT_EQ(lifetime, 0u);
  EXPECT_EQ(turn.allocations(), 0u);
  EXPECT_TRUE(timeline_has("turn.deallocate"));
  reply = client.request(STUN_REFRESH);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_ALLOCATION_MISMATCH);
  reply = client.request(STUN_CREATEPERMISSION, [&](StunMessage& m) { RawClient::add_peer(m, client.local()); });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_ALLOCATION_MISMATCH);
}

TEST_F(TurnProtocolTest, RejectsWrongCredentialsStaleNoncesAndBadRequests) {
  {
    RawClient wrong(loop, kAliceAddress, server, "guessed");
    auto reply = wrong.allocate();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->error, STUN_ERROR_UNAUTHORIZED);  // RFC 8489 §9.2.4: MESSAGE-INTEGRITY does not match
    EXPECT_FALSE(reply->attribute(STUN_ATTRIBUTE_NONCE).empty());
    EXPECT_EQ(reply->attribute(STUN_ATTRIBUTE_REALM), "sigtrust");
    EXPECT_FALSE(stun_message_has_attribute(&reply->msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY));
    EXPECT_TRUE(timeline_has("turn.auth-failed"));
    EXPECT_EQ(turn.unauthorized(), 2u);
  }
  RawClient client(loop, kBobAddress, server);
  ASSERT_TRUE(client.allocate());
  const auto transport_udp = [](StunMessage& m) {
    stun_message_append32(&m, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, 17u << 24);
  };
  // A NONCE the server never issued (or no longer honours): 438 with a fresh one.
  auto reply = client.request(STUN_REFRESH, {}, "not-our-nonce");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_STALE_NONCE);
  EXPECT_FALSE(reply->attribute(STUN_ATTRIBUTE_NONCE).empty());
  // MESSAGE-INTEGRITY without NONCE: 400 (RFC 8489 §9.2.4).
  reply = client.request(STUN_REFRESH, {}, "");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_BAD_REQUEST);

  // The Allocate checks of RFC 8656 §7.2 run on a 5-tuple without an
  // allocation: allocate (to learn REALM and NONCE), then release it.
  RawClient third(loop, kOutsiderAddress, server);
  ASSERT_TRUE(third.allocate());
  ASSERT_EQ(turn.allocations(), 2u);
  reply = third.request(STUN_REFRESH, [](StunMessage& m) { stun_message_append32(&m, STUN_ATTRIBUTE_LIFETIME, 0); });
  ASSERT_TRUE(reply);
  ASSERT_EQ(turn.allocations(), 1u);
  // TCP is not relayed: 442 (step 3).
  reply = third.request(
      STUN_ALLOCATE, [](StunMessage& m) { stun_message_append32(&m, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, 6u << 24); });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_UNSUPPORTED_TRANSPORT);
  // No REQUESTED-TRANSPORT: 400 (step 3).
  reply = third.request(STUN_ALLOCATE);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_BAD_REQUEST);
  // An IPv6 relayed address: 440 (step 7).
  reply = third.request(STUN_ALLOCATE, [&](StunMessage& m) {
    transport_udp(m);
    stun_message_append32(&m, STUN_ATTRIBUTE_REQUESTED_ADDRESS_TYPE, 0x02u << 24);
  });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_UNSUPPORTED_FAMILY);
  // EVEN-PORT is comprehension-required and not supported: 420 naming it (RFC 8489 §6.3.1).
  reply = third.request(STUN_ALLOCATE, [&](StunMessage& m) {
    transport_udp(m);
    const std::uint8_t even = 0x80;
    stun_message_append_bytes(&m, STUN_ATTRIBUTE_EVEN_PORT, &even, 1);
  });
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_UNKNOWN_ATTRIBUTE);
  std::uint16_t len = 0;
  const auto* unknown =
      static_cast<const std::uint8_t*>(stun_message_find(&reply->msg, STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, &len));
  ASSERT_TRUE(unknown);
  ASSERT_GE(len, 2);
  EXPECT_EQ((unknown[0] << 8) | unknown[1], STUN_ATTRIBUTE_EVEN_PORT);
  // An unknown method: 400.
  reply = third.request(static_cast<StunMethod>(0x0ABC));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->error, STUN_ERROR_BAD_REQUEST);
  EXPECT_EQ(turn.allocations(), 1u);
}

TEST_F(TurnProtocolTest, PermissionsChannelsIndicationsAndInjection) {
  RawClient client(loop, kAliceAddress, server);
  auto reply = client.allocate();
  ASSERT_TRUE(reply);
  const auto allocated = parse_allocation(*reply);
  ASSERT_TRUE(allocated);
  const Endpoint relayed = allocated->relayed;
  Listener peer(loop, kBobAddress);
  Listener outsider(loop, kOutsiderAddress);
  const Endpoint peer_at = peer.socket.local();
  const auto from_relayed = [&](const Datagram& d) { return d.from == relayed; };

  // RFC 8656 §11.2: no permission for the peer's IP, no relaying.
  client.send_indication(peer_at, "too early");
  EXPECT_TRUE(peer.quiet_for(loop, 50ms));
  EXPECT_EQ(turn.dropped(), 1u);

  reply = client.request(STUN_CREATEPERMISSION, [&](StunMessage& m) { RawClient::add_peer(m, peer_at); });
  ASSERT_TRUE(reply);
  ASSERT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE);
  EXPECT_TRUE(timeline_has("turn.permission"));

  // Send indication → out of the relayed socket.
  client.send_indication(peer_at, "via send indication");
  auto got = peer.await(loop, from_relayed);
  ASSERT_TRUE(got);
  EXPECT_EQ(text(got->data), "via send indication");

  // Peer → relayed address → Data indication to the client (RFC 8656 §11.3).
  peer.socket.send_to(relayed, bytes("via data indication"));
  auto indication = client.await_data_indication();
  ASSERT_TRUE(indication);
  EXPECT_EQ(indication->first, peer_at);
  EXPECT_EQ(indication->second, "via data indication");

  // A peer without a permission is not relayed (RFC 8656 §9).
  const auto dropped = turn.dropped();
  outsider.socket.send_to(relayed, bytes("unpermitted"));
  ASSERT_TRUE(loop.run_until([&] { return turn.dropped() > dropped; }, deadline()));
  EXPECT_TRUE(client.listener().quiet_for(loop, 20ms));

  // ChannelBind (RFC 8656 §12.2), then ChannelData both ways.
  const auto bind = [&](std::uint16_t channel, const Endpoint& to) {
    return client.request(STUN_CHANNELBIND, [&](StunMessage& m) {
      stun_message_append32(&m, STUN_ATTRIBUTE_CHANNEL_NUMBER, static_cast<std::uint32_t>(channel) << 16);
      RawClient::add_peer(m, to);
    });
  };
  reply = bind(0x4000, peer_at);
  ASSERT_TRUE(reply);
  ASSERT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE);
  EXPECT_TRUE(timeline_has("turn.channel"));
  peer.socket.send_to(relayed, bytes("via channel"));
  auto channel_data = client.await_channel_data();
  ASSERT_TRUE(channel_data);
  EXPECT_EQ(channel_data->first, 0x4000);
  EXPECT_EQ(channel_data->second, "via channel");
  client.send_channel_data(0x4000, "back via channel");
  got = peer.await(loop, from_relayed);
  ASSERT_TRUE(got);
  EXPECT_EQ(text(got->data), "back via channel");

  // The same channel to another peer, another channel to the same peer, or a
  // number outside 0x4000..0x4FFF: 400.
  for (const auto& [channel, to] :
       {std::pair{std::uint16_t{0x4000}, outsider.socket.local()}, std::pair{std::uint16_t{0x4001}, peer_at},
        std::pair{std::uint16_t{0x5000}, outsider.socket.local()}}) {
    reply = bind(channel, to);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->error, STUN_ERROR_BAD_REQUEST) << "channel " << channel;
  }
  // Rebinding the same channel to the same peer refreshes it.
  reply = bind(0x4000, peer_at);
  ASSERT_TRUE(reply);
  EXPECT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE);

  // ChannelData on an unbound channel is discarded (RFC 8656 §12.6).
  const auto dropped_before = turn.dropped();
  client.send_channel_data(0x4002, "nobody");
  ASSERT_TRUE(loop.run_until([&] { return turn.dropped() > dropped_before; }, deadline()));

  // The attacker's own injections: to the client over the bound channel, and
  // to any address out of the relayed socket, permission or not.
  ASSERT_TRUE(turn.send_to_client(relayed.to_string(), peer_at.to_string(), bytes("injected")));
  channel_data = client.await_channel_data();
  ASSERT_TRUE(channel_data);
  EXPECT_EQ(channel_data->second, "injected");
  ASSERT_TRUE(turn.send_to_peer(relayed.to_string(), outsider.socket.local().to_string(), bytes("forged")));
  got = outsider.await(loop, from_relayed);
  ASSERT_TRUE(got);
  EXPECT_EQ(text(got->data), "forged");
  EXPECT_FALSE(turn.send_to_peer("127.0.0.4:1", peer_at.to_string(), bytes("no such allocation")));
  EXPECT_FALSE(turn.send_to_client(relayed.to_string(), "not an address", bytes("x")));
}

TEST_F(TurnProtocolTest, AnswersBindingRequestsOldAndNew) {
  // RFC 8489 (magic cookie, FINGERPRINT) and RFC 3489 (no cookie, as libnice
  // 0.1.21 sends for server-reflexive discovery; RFC 8489 §12.2).
  for (const auto compatibility : {STUN_COMPATIBILITY_RFC5389, STUN_COMPATIBILITY_RFC3489}) {
    Listener client(loop, kAliceAddress);
    StunAgent agent{};
    stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES, compatibility,
                    compatibility == STUN_COMPATIBILITY_RFC5389 ? STUN_AGENT_USAGE_USE_FINGERPRINT
                                                                : static_cast<StunAgentUsageFlags>(0));
    std::vector<std::uint8_t> buf(STUN_MAX_MESSAGE_SIZE_IPV6);
    StunMessage req{};
    const size_t len = stun_usage_bind_create(&agent, &req, buf.data(), buf.size());
    client.socket.send_to(server, {buf.data(), len});
    const auto got = client.await(loop, [](const Datagram&) { return true; });
    ASSERT_TRUE(got);
    StunMessage resp{};
    ASSERT_EQ(stun_agent_validate(&agent, &resp, got->data.data(), got->data.size(), nullptr, nullptr),
              STUN_VALIDATION_SUCCESS);
    sockaddr_storage mapped{}, alternate{};
    socklen_t mapped_len = sizeof mapped, alternate_len = sizeof alternate;
    ASSERT_EQ(stun_usage_bind_process(&resp, reinterpret_cast<sockaddr*>(&mapped), &mapped_len,
                                      reinterpret_cast<sockaddr*>(&alternate), &alternate_len),
              STUN_USAGE_BIND_RETURN_SUCCESS);
    EXPECT_EQ(Endpoint::from_sockaddr(mapped), client.socket.local());
  }
  EXPECT_EQ(turn.malformed(), 0u);
}

TEST_F(TurnProtocolTest, GarbageIsDroppedCountedAndNeverFatal) {
  Listener attacker(loop, kOutsiderAddress);
  std::mt19937 rng(8656);
  size_t sent = 0;
  // One at a time, each counted before the next: a burst faster than the
  // loop reads would overflow the socket's receive buffer in the kernel.
  const auto send = [&](std::vector<std::uint8_t> d) {
    attacker.socket.send_to(server, d);
    ++sent;
    return loop.run_until([&] { return turn.malformed() + turn.dropped() >= sent; }, deadline());
  };
  // Random bytes of random lengths, including an empty datagram.
  ASSERT_TRUE(send({}));
  for (int i = 0; i < 200; ++i) {
    std::vector<std::uint8_t> d(std::uniform_int_distribution<size_t>(1, 1500)(rng));
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    ASSERT_TRUE(send(std::move(d))) << "datagram " << i << " was not counted";
  }
  // A valid Allocate request, truncated.
  StunAgent agent{};
  stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389, static_cast<StunAgentUsageFlags>(0));
  std::vector<std::uint8_t> buf(512);
  StunMessage msg{};
  ASSERT_TRUE(stun_agent_init_request(&agent, &msg, buf.data(), buf.size(), STUN_ALLOCATE));
  stun_message_append32(&msg, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, 17u << 24);
  stun_message_append_string(&msg, STUN_ATTRIBUTE_USERNAME, "alice");
  const size_t len = stun_agent_finish_message(&agent, &msg, nullptr, 0);
  ASSERT_TRUE(send(std::vector<std::uint8_t>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len - 7))));
  // A valid-looking header that claims 65532 bytes of attributes.
  std::vector<std::uint8_t> absurd(buf.begin(), buf.begin() + 20);
  absurd[2] = 0xFF;
  absurd[3] = 0xFC;
  ASSERT_TRUE(send(absurd));
  // A STUN success response nobody asked for.
  std::vector<std::uint8_t> response(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
  response[0] = 0x01;
  response[1] = 0x03;
  ASSERT_TRUE(send(response));
  // A request of method 0x071, which no StunMethod names (a fuzzing find:
  // reading it as that enum was undefined behaviour).
  std::vector<std::uint8_t> unknown_method(buf.begin(), buf.begin() + 20);
  unknown_method[0] = 0x00;
  unknown_method[1] = 0xE1;
  unknown_method[2] = unknown_method[3] = 0x00;
  // Unauthenticated, it is challenged (401) before its method matters.
  const auto before = turn.unauthorized();
  attacker.socket.send_to(server, unknown_method);
  ASSERT_TRUE(loop.run_until([&] { return turn.unauthorized() > before; }, deadline()));
  // ChannelData claiming more than it carries, and on a reserved number.
  ASSERT_TRUE(send({0x40, 0x00, 0x00, 0x40, 1, 2, 3}));
  ASSERT_TRUE(send({0x7F, 0xFF, 0x00, 0x00}));
  // An unauthenticated Send indication from an address with no allocation.
  StunMessage ind{};
  ASSERT_TRUE(stun_agent_init_indication(&agent, &ind, buf.data(), buf.size(), STUN_IND_SEND));
  RawClient::add_peer(ind, *Endpoint::from_ip(kBobAddress, 9));
  stun_message_append_bytes(&ind, STUN_ATTRIBUTE_DATA, "evil", 4);
  const auto dropped_before = turn.dropped();
  ASSERT_TRUE(send(std::vector<std::uint8_t>(
      buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(stun_agent_finish_message(&agent, &ind, nullptr, 0)))));
  EXPECT_EQ(turn.dropped(), dropped_before + 1);

  EXPECT_EQ(turn.malformed() + turn.dropped(), sent);
  EXPECT_EQ(turn.allocations(), 0u);
  // Rate-limited: a burst makes one "turn.malformed" event, not two hundred.
  const auto& events = timeline.events();
  const auto malformed_events =
      std::count_if(events.begin(), events.end(), [](const TimelineEvent& e) { return e.kind == "turn.malformed"; });
  EXPECT_GE(malformed_events, 1);
  EXPECT_LE(malformed_events, 2);

  // Still serving: a real client allocates.
  RawClient client(loop, kBobAddress, server);
  auto reply = client.allocate();
  ASSERT_TRUE(reply);
  EXPECT_EQ(stun_message_get_class(&reply->msg), STUN_RESPONSE);
}

}  // namespace
}  // namespace sigtrust::attacks
