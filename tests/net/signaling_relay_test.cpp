#include "net/signaling_relay.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "net/main_loop.hpp"
#include "net/signaling_client.hpp"
#include "core/signaling_message.hpp"
#include "core/timeline.hpp"

namespace sigtrust {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;

std::string offer(const std::string& sdp) {
  SignalingMessage m;
  m.type = SignalingMessage::Type::Offer;
  m.sdp = sdp;
  return serialize(m);
}

std::string numbered(int i) {
  SignalingMessage m;
  m.type = SignalingMessage::Type::Candidate;
  m.candidate = {{"n", i}};
  return serialize(m);
}

std::string message_of(SignalingMessage::Type t) {
  SignalingMessage m;
  m.type = t;
  return serialize(m);
}

// A real relay on 127.0.0.1 and real WebSocket clients, all on one main loop
// that is the thread-default context for the whole test (libsoup binds to it).
class SignalingRelayTest : public ::testing::Test {
 protected:
  struct Client {
    std::unique_ptr<SignalingClient> client;
    bool opened = false;
    bool closed = false;
    std::string close_reason;
    std::vector<std::string> messages;
  };

  void SetUp() override { start_relay({}); }

  void start_relay(RelayLimits limits) {
    clients_.clear();
    relay_.reset();
    relay_ = std::make_unique<SignalingRelay>(loop_, "127.0.0.1", timeline_, limits);
  }

  // Connects a client to `room` as `peer` and waits until it is open (or closed).
  Client& join(const std::string& room, const std::string& peer) {
    Client& c = clients_.emplace_back();
    SignalingClientCallbacks cb;
    cb.on_open = [&c] { c.opened = true; };
    cb.on_message = [&c](const std::string& text) { c.messages.push_back(text); };
    cb.on_closed = [&c](const std::string& reason) {
      c.closed = true;
      c.close_reason = reason;
    };
    c.client = std::make_unique<SignalingClient>(loop_, relay_->url() + "/" + room + "?peer=" + peer, std::move(cb));
    c.client->connect();
    EXPECT_TRUE(run_until([&c] { return c.opened || c.closed; })) << peer << " never connected";
    return c;
  }

  // Waits until the relay has registered `n` joins (the client side may open first).
  bool joined(size_t n) {
    return run_until([&] { return count("signaling.joined") >= n; });
  }

  bool run_until(const std::function<bool()>& done) { return loop_.run_until(done, Clock::now() + kDeadline); }

  size_t count(const std::string& kind) const {
    return static_cast<size_t>(std::count_if(timeline_.events().begin(), timeline_.events().end(),
                                             [&](const TimelineEvent& e) { return e.kind == kind; }));
  }

  MainLoop loop_;
  MainLoop::ThreadDefault thread_default_{loop_};  // before the relay and the clients
  Timeline timeline_;
  std::unique_ptr<SignalingRelay> relay_;
  std::deque<Client> clients_;  // destroyed first
};

TEST_F(SignalingRelayTest, ListensOnLoopbackWithAnOsChosenPort) {
  EXPECT_NE(relay_->port(), 0);
  EXPECT_EQ(relay_->url(), "ws://127.0.0.1:" + std::to_string(relay_->port()));
}

TEST_F(SignalingRelayTest, MessageFromOneClientReachesTheOther) {
  Client& a = join("room", "a");
  Client& b = join("room", "b");
  ASSERT_TRUE(a.opened && b.opened);
  ASSERT_TRUE(joined(2));
  ASSERT_TRUE(a.client->send(offer("v=0\r\n")));
  ASSERT_TRUE(run_until([&] { return !b.messages.empty(); }));
  EXPECT_EQ(b.messages, std::vector<std::string>{offer("v=0\r\n")});
  ASSERT_TRUE(b.client->send(message_of(SignalingMessage::Type::Bye)));
  ASSERT_TRUE(run_until([&] { return !a.messages.empty(); }));
  EXPECT_EQ(a.messages, std::vector<std::string>{message_of(SignalingMessage::Type::Bye)});
  EXPECT_EQ(relay_->messages_relayed(), 2u);
}

TEST_F(SignalingRelayTest, MessageSentBeforeTheOtherJoinedIsHeldAndDeliveredOnJoin) {
  Client& a = join("room", "a");
  ASSERT_TRUE(joined(1));
  ASSERT_TRUE(a.client->send(numbered(1)));
  ASSERT_TRUE(a.client->send(numbered(2)));
  ASSERT_TRUE(run_until([&] { return relay_->messages_relayed() == 2; }));
  Client& b = join("room", "b");
  ASSERT_TRUE(run_until([&] { return b.messages.size() == 2; }));
  EXPECT_EQ(b.messages, (std::vector<std::string>{numbered(1), numbered(2)}));
}

TEST_F(SignalingRelayTest, ThirdClientInARoomIsRefused) {
  Client& a = join("room", "a");
  Client& b = join("room", "b");
  ASSERT_TRUE(joined(2));
  Client& c = join("room", "c");
  ASSERT_TRUE(run_until([&] { return c.closed; })) << "third client was not closed";
  EXPECT_EQ(count("signaling.rejected"), 1u);
  EXPECT_FALSE(c.client->open());
  // The first two are unaffected.
  ASSERT_TRUE(a.client->send(numbered(7)));
  ASSERT_TRUE(run_until([&] { return !b.messages.empty(); }));
  EXPECT_EQ(b.messages, std::vector<std::string>{numbered(7)});
  EXPECT_TRUE(c.messages.empty());
}

TEST_F(SignalingRelayTest, NonJsonIsDroppedAndRecordedAndValidMessagesStillFlow) {
  Client& a = join("room", "a");
  Client& b = join("room", "b");
  ASSERT_TRUE(joined(2));
  ASSERT_TRUE(a.client->send("this is not JSON"));
  ASSERT_TRUE(a.client->send(numbered(1)));
  ASSERT_TRUE(run_until([&] { return !b.messages.empty(); }));
  // Frames are handled in order: once the valid one arrived, the bad one was dropped.
  EXPECT_EQ(b.messages, std::vector<std::string>{numbered(1)});
  EXPECT_EQ(count("signaling.malformed"), 1u);
  const auto it = std::find_if(timeline_.events().begin(), timeline_.events().end(),
                               [](const TimelineEvent& e) { return e.kind == "signaling.malformed"; });
  ASSERT_NE(it, timeline_.events().end());
  EXPECT_EQ(it->actor, "relay");
  EXPECT_EQ(it->text.rfind("a: ", 0), 0u) << it->text;  // names the sender
  EXPECT_TRUE(a.client->open());
}

TEST_F(SignalingRelayTest, UnknownMessageTypeIsDroppedAsMalformed) {
  Client& a = join("room", "a");
  Client& b = join("room", "b");
  ASSERT_TRUE(joined(2));
  ASSERT_TRUE(a.client->send(R"({"type":"pranswer"})"));
  ASSERT_TRUE(a.client->send(numbered(2)));
  ASSERT_TRUE(run_until([&] { return !b.messages.empty(); }));
  EXPECT_EQ(b.messages, std::vector<std::string>{numbered(2)});
  EXPECT_EQ(count("signaling.malformed"), 1u);
}

// Rewrites offers, drops byes, passes the rest; remembers what it saw.
class TestInterceptor : public SignalingInterceptor {
 public:
  void on_message(const RelayedMessage& m, Deliver deliver) override {
    seen.push_back(m);
    auto parsed = parse_signaling(m.text);
    if (!parsed) return deliver(m.text);
    if (parsed->type == SignalingMessage::Type::Bye) return;  // dropped
    if (parsed->type == SignalingMessage::Type::Offer) return deliver(offer("rewritten by the relay"));
    deliver(m.text);
  }
  std::vector<RelayedMessage> seen;
};

TEST_F(SignalingRelayTest, InterceptorCanRewriteAndDrop) {
  TestInterceptor interceptor;
  relay_->set_interceptor(&interceptor);
  Client& a = join("room", "a");
  Client& b = join("room", "b");
  ASSERT_TRUE(joined(2));
  ASSERT_TRUE(a.client->send(offer("original")));
  ASSERT_TRUE(a.client->send(message_of(SignalingMessage::Type::Bye)));
  ASSERT_TRUE(a.client->send(numbered(3)));
  ASSERT_TRUE(run_until([&] { return b.messages.size() >= 2; }));
  EXPECT_EQ(b.messages, (std::vector<std::string>{offer("rewritten by the relay"), numbered(3)}));
  ASSERT_EQ(interceptor.seen.size(), 3u);
  EXPECT_EQ(interceptor.seen[0].room, "/room");
  EXPECT_EQ(interceptor.seen[0].from_index, 0);
  EXPECT_EQ(interceptor.seen[0].from_label, "a");
  EXPECT_EQ(interceptor.seen[0].to_label, "b");
  EXPECT_EQ(interceptor.seen[0].text, offer("original"));
  relay_->set_interceptor(nullptr);
}

TEST_F(SignalingRelayTest, TwoRoomsAreIndependent) {
  Client& a1 = join("one", "a");
  Client& b1 = join("one", "b");
  Client& a2 = join("two", "a");
  Client& b2 = join("two", "b");
  ASSERT_TRUE(joined(4));
  EXPECT_EQ(count("signaling.rejected"), 0u);
  ASSERT_TRUE(a1.client->send(numbered(1)));
  ASSERT_TRUE(a2.client->send(numbered(2)));
  ASSERT_TRUE(run_until([&] { return !b1.messages.empty() && !b2.messages.empty(); }));
  EXPECT_EQ(b1.messages, std::vector<std::string>{numbered(1)});
  EXPECT_EQ(b2.messages, std::vector<std::string>{numbered(2)});
  EXPECT_TRUE(a1.messages.empty());
  EXPECT_TRUE(a2.messages.empty());
  // Closing a client of one room leaves the other room working.
  a1.client->close();
  ASSERT_TRUE(run_until([&] { return count("signaling.left") == 1; }));
  ASSERT_TRUE(b2.client->send(numbered(4)));
  ASSERT_TRUE(run_until([&] { return !a2.messages.empty(); }));
  EXPECT_EQ(a2.messages, std::vector<std::string>{numbered(4)});
}

TEST_F(SignalingRelayTest, AClientRejoiningUnderItsLabelReplacesItsStaleConnection) {
  Client& a = join("room", "alice");
  Client& b = join("room", "bob");
  ASSERT_TRUE(joined(2));
  Client& carol = join("room", "carol");  // a third label: refused
  ASSERT_TRUE(run_until([&] { return carol.closed; }));
  Client& a2 = join("room", "alice");  // alice again, before her old connection closed
  ASSERT_TRUE(run_until([&] { return a.closed; })) << "the stale connection is closed";
  EXPECT_FALSE(a2.closed);
  EXPECT_EQ(count("signaling.replaced"), 1u);
  ASSERT_TRUE(b.client->send(numbered(7)));
  ASSERT_TRUE(run_until([&] { return !a2.messages.empty(); }));
  EXPECT_EQ(a2.messages, std::vector<std::string>{numbered(7)});
  EXPECT_TRUE(a.messages.empty());
}

TEST_F(SignalingRelayTest, RoomsBeyondTheLimitAreRefusedAndEmptyRoomsAreForgotten) {
  start_relay(RelayLimits{.max_rooms = 2});
  Client& a = join("r1", "a");
  Client& b = join("r2", "b");
  ASSERT_TRUE(joined(2));
  Client& c = join("r3", "c");
  ASSERT_TRUE(run_until([&] { return c.closed; }));
  EXPECT_EQ(count("signaling.rejected"), 1u);
  Client& a2 = join("r1", "a2");  // an existing room still takes its second client
  ASSERT_TRUE(joined(3));
  EXPECT_TRUE(a2.opened && !a2.closed);
  // Once r2 is empty it no longer counts: a new room fits again.
  b.client->close();
  ASSERT_TRUE(run_until([&] { return count("signaling.left") == 1; }));
  Client& d = join("r4", "d");
  ASSERT_TRUE(joined(4));
  EXPECT_FALSE(d.closed);
  EXPECT_TRUE(a.opened);
}

TEST_F(SignalingRelayTest, RateLimitDeliversTheFirstMessagesAndRecordsIt) {
  start_relay(RelayLimits{.max_messages_per_second = 5});
  Client& a = join("room", "a");
  Client& b = join("room", "b");
  ASSERT_TRUE(joined(2));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(a.client->send(numbered(i)));
  // Closing after the burst orders a "left" event after all 20 were handled.
  a.client->close();
  ASSERT_TRUE(run_until([&] { return count("signaling.left") == 1; }));
  EXPECT_EQ(relay_->messages_relayed(), 5u);
  ASSERT_TRUE(run_until([&] { return b.messages.size() >= 5; }));
  EXPECT_EQ(b.messages, (std::vector<std::string>{numbered(0), numbered(1), numbered(2), numbered(3), numbered(4)}));
  EXPECT_EQ(count("signaling.rate-limited"), 1u);  // recorded once per window, not per message
}

}  // namespace
}  // namespace sigtrust
