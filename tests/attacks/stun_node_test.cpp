// The lying STUN node: libnice agents believe its fake mapped addresses,
// connect through its forwarding sockets, and it sees every datagram.
#include "attacks/stun_node.hpp"

#include <gtest/gtest.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>
#include <stun/usages/bind.h>

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

constexpr char kStunAddress[] = "127.0.0.5";
constexpr char kAliceAddress[] = "127.0.0.2";
constexpr char kBobAddress[] = "127.0.0.3";
constexpr char kOutsiderAddress[] = "127.0.0.6";

std::string address_of(const sdp::Candidate& c) { return c.address + ":" + std::to_string(c.port); }

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
  std::optional<Datagram> await(MainLoop& loop) {
    if (!loop.run_until([&] { return !inbox.empty(); }, deadline())) return std::nullopt;
    Datagram d = std::move(inbox.front());
    inbox.erase(inbox.begin());
    return d;
  }
};

class LyingStunNodeTest : public ::testing::Test {
 protected:
  MainLoop loop;
  MainLoop::ThreadDefault thread_default{loop};
  Timeline timeline;
  RecordingTap tap;
  LyingStunNode stun{loop, kStunAddress, timeline};
  Endpoint server = *Endpoint::from_ip(kStunAddress, stun.port());

  IceOptions with_stun(const char* address, bool controlling) {
    IceOptions o;
    o.local_address = address;
    o.controlling = controlling;
    o.stun = IceServer{kStunAddress, stun.port(), "", ""};
    return o;
  }
  size_t events_of(std::string_view kind) const {
    const auto& events = timeline.events();
    return static_cast<size_t>(
        std::count_if(events.begin(), events.end(), [&](const TimelineEvent& e) { return e.kind == kind; }));
  }

  // A Binding request made by libnice's STUN usage; the XOR-MAPPED-ADDRESS it is told.
  std::optional<Endpoint> bind(Listener& client) {
    StunAgent agent{};
    stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_USE_FINGERPRINT);
    std::vector<std::uint8_t> buf(STUN_MAX_MESSAGE_SIZE_IPV6);
    StunMessage req{};
    const size_t len = stun_usage_bind_create(&agent, &req, buf.data(), buf.size());
    client.socket.send_to(server, {buf.data(), len});
    auto reply = client.await(loop);
    if (!reply) return std::nullopt;
    StunMessage resp{};
    if (stun_agent_validate(&agent, &resp, reply->data.data(), reply->data.size(), nullptr, nullptr) !=
        STUN_VALIDATION_SUCCESS)
      return std::nullopt;
    sockaddr_storage mapped{}, alternate{};
    socklen_t mapped_len = sizeof mapped, alternate_len = sizeof alternate;
    if (stun_usage_bind_process(&resp, reinterpret_cast<sockaddr*>(&mapped), &mapped_len,
                                reinterpret_cast<sockaddr*>(&alternate),
                                &alternate_len) != STUN_USAGE_BIND_RETURN_SUCCESS)
      return std::nullopt;
    return Endpoint::from_sockaddr(mapped);
  }
};

TEST_F(LyingStunNodeTest, AgentsGivenOnlyTheFakeAddressesConnectThroughTheNode) {
  stun.set_tap(&tap);
  Peer alice(loop, with_stun(kAliceAddress, true));
  Peer bob(loop, with_stun(kBobAddress, false));
  alice.agent->gather();
  bob.agent->gather();
  ASSERT_TRUE(loop.run_until([&] { return alice.local && bob.local; }, deadline()));

  // Each agent's srflx candidate is the node's forwarding socket for that
  // agent's host address: the lie, believed.
  for (const Peer* p : {&alice, &bob}) {
    const auto host = p->candidate("host");
    const auto srflx = p->candidate("srflx");
    ASSERT_TRUE(host && srflx);
    EXPECT_EQ(srflx->address, kStunAddress);
    EXPECT_EQ(stun.fake_address_of(address_of(*host)), address_of(*srflx));
  }
  EXPECT_EQ(stun.forwarders(), 2u);
  EXPECT_GE(stun.lies(), 2u);
  EXPECT_EQ(events_of("stun.lie"), 2u);

  // Each side learns only the other's srflx candidate, as if the host
  // candidates had been withheld (or stripped by a signaling server).
  ASSERT_TRUE(alice.agent->set_remote(bob.local->ufrag, bob.local->pwd, {*bob.candidate("srflx")}).ok());
  ASSERT_TRUE(bob.agent->set_remote(alice.local->ufrag, alice.local->pwd, {*alice.candidate("srflx")}).ok());
  ASSERT_TRUE(loop.run_until([&] { return (alice.pair && bob.pair) || alice.failed || bob.failed; }, deadline()));
  ASSERT_TRUE(alice.pair && bob.pair) << "ICE failed through the lying STUN node";
  // Both selected pairs point at the node's forwarding sockets (with libnice
  // 0.1.21 both at the answerer's: the offerer's remote srflx, and the
  // answerer's peer-reflexive view of the offerer).
  EXPECT_EQ(alice.pair->remote.rfind(std::string(kStunAddress) + ":", 0), 0u) << alice.pair->remote;
  EXPECT_EQ(bob.pair->remote.rfind(std::string(kStunAddress) + ":", 0), 0u) << bob.pair->remote;

  const auto forwarded_before = stun.forwarded_bytes();
  ASSERT_TRUE(alice.agent->send(bytes("hello bob")));
  ASSERT_TRUE(loop.run_until([&] { return bob.got("hello bob"); }, deadline()));
  ASSERT_TRUE(bob.agent->send(bytes("hello alice")));
  ASSERT_TRUE(loop.run_until([&] { return alice.got("hello alice"); }, deadline()));
  EXPECT_GT(stun.forwarded_bytes(), forwarded_before);
  EXPECT_TRUE(tap.saw("hello bob"));
  EXPECT_TRUE(tap.saw("hello alice"));
  EXPECT_GE(events_of("stun.forward"), 2u);
  EXPECT_EQ(stun.malformed(), 0u);
}

TEST_F(LyingStunNodeTest, ForwardsLikeANatItControlsAndTheTapDecides) {
  Listener client(loop, kAliceAddress);
  Listener peer(loop, kBobAddress);
  const auto fake = bind(client);
  ASSERT_TRUE(fake);
  EXPECT_EQ(fake->ip_string(), kStunAddress);
  EXPECT_NE(*fake, client.socket.local());  // the lie
  EXPECT_EQ(stun.fake_address_of(client.socket.local().to_string()), fake->to_string());
  // Asking again gets the same lie, from the same forwarding socket.
  EXPECT_EQ(bind(client), fake);
  EXPECT_EQ(stun.forwarders(), 1u);
  EXPECT_EQ(stun.lies(), 2u);

  // Nobody has written to the fake address yet: the client's datagram has nowhere to go.
  client.socket.send_to(*fake, bytes("into the void"));
  ASSERT_TRUE(loop.run_until([&] { return stun.dropped() == 1; }, deadline()));

  tap.policy = [](RelayedDatagram& d) {
    if (text(d.data) == "drop me") return false;
    if (text(d.data) == "rewrite me") d.data = bytes("rewritten");
    return true;
  };
  stun.set_tap(&tap);
  // Peer → fake → client, from the fake address; client → fake → the last peer.
  peer.socket.send_to(*fake, bytes("to the client"));
  auto got = client.await(loop);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->from, *fake);
  EXPECT_EQ(text(got->data), "to the client");
  client.socket.send_to(*fake, bytes("to the peer"));
  got = peer.await(loop);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->from, *fake);
  EXPECT_EQ(text(got->data), "to the peer");

  client.socket.send_to(*fake, bytes("drop me"));
  client.socket.send_to(*fake, bytes("rewrite me"));
  got = peer.await(loop);
  ASSERT_TRUE(got);
  EXPECT_EQ(text(got->data), "rewritten");

  ASSERT_EQ(tap.seen.size(), 4u);
  EXPECT_EQ(tap.seen[0].direction, RelayDirection::ToClient);
  EXPECT_EQ(tap.seen[0].client, client.socket.local().to_string());
  EXPECT_EQ(tap.seen[0].relayed, fake->to_string());
  EXPECT_EQ(tap.seen[0].peer, peer.socket.local().to_string());
  EXPECT_EQ(tap.seen[1].direction, RelayDirection::ToPeer);
  EXPECT_EQ(stun.forwarded_datagrams(), 3u);
  EXPECT_EQ(stun.forwarded_bytes(),
            std::string("to the client").size() + std::string("to the peer").size() + std::string("rewritten").size());
  EXPECT_EQ(stun.dropped(), 2u);
}

TEST_F(LyingStunNodeTest, GarbageIsDroppedCountedAndNeverFatal) {
  Listener attacker(loop, kOutsiderAddress);
  std::mt19937 rng(8489);
  size_t sent = 0;
  // One at a time, each counted before the next (a burst would overflow the kernel's buffer).
  const auto send = [&](const std::vector<std::uint8_t>& d) {
    attacker.socket.send_to(server, d);
    ++sent;
    return loop.run_until([&] { return stun.malformed() >= sent; }, deadline());
  };
  ASSERT_TRUE(send({}));
  for (int i = 0; i < 200; ++i) {
    std::vector<std::uint8_t> d(std::uniform_int_distribution<size_t>(1, 1500)(rng));
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    ASSERT_TRUE(send(d)) << "datagram " << i << " was not counted";
  }
  // A Binding request, truncated; the same with an absurd length; an Allocate
  // request (not a method a STUN-only server knows, so a 400).
  StunAgent agent{};
  stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_USE_FINGERPRINT);
  std::vector<std::uint8_t> buf(512);
  StunMessage msg{};
  const size_t len = stun_usage_bind_create(&agent, &msg, buf.data(), buf.size());
  ASSERT_GT(len, 20u);
  ASSERT_TRUE(send({buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len - 3)}));
  std::vector<std::uint8_t> absurd(buf.begin(), buf.begin() + 20);
  absurd[2] = 0xFF;
  absurd[3] = 0xF0;
  ASSERT_TRUE(send(absurd));
  std::vector<std::uint8_t> corrupted(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
  corrupted[len - 1] ^= 0xFF;  // the FINGERPRINT no longer matches
  ASSERT_TRUE(send(corrupted));
  attacker.inbox.clear();
  ASSERT_TRUE(stun_agent_init_request(&agent, &msg, buf.data(), buf.size(), STUN_ALLOCATE));
  ASSERT_TRUE(send(
      {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(stun_agent_finish_message(&agent, &msg, nullptr, 0))}));
  auto reply = attacker.await(loop);
  ASSERT_TRUE(reply);
  StunMessage resp{};
  ASSERT_EQ(stun_agent_validate(&agent, &resp, reply->data.data(), reply->data.size(), nullptr, nullptr),
            STUN_VALIDATION_SUCCESS);
  int code = 0;
  ASSERT_EQ(stun_message_find_error(&resp, &code), STUN_MESSAGE_RETURN_SUCCESS);
  EXPECT_EQ(code, STUN_ERROR_BAD_REQUEST);

  EXPECT_EQ(stun.malformed(), sent);
  EXPECT_EQ(stun.forwarders(), 0u);
  EXPECT_EQ(stun.lies(), 0u);
  EXPECT_GE(events_of("stun.malformed"), 1u);
  EXPECT_LE(events_of("stun.malformed"), 2u);

  // Still lying.
  Listener client(loop, kAliceAddress);
  EXPECT_TRUE(bind(client));
}

}  // namespace
}  // namespace sigtrust::attacks
