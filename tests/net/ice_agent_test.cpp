// The libnice agent wrapper: what it tells its owner about the peer's
// connectivity checks. The MITM bridge relies on on_first_check to learn that
// the offerer has read the forged answer before it takes up the offerer's ICE
// data (attacks/mitm_bridge.cpp, kOffererChecksDelay).
#include "net/ice_agent.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace sigtrust {
namespace {

struct Agent {
  std::optional<LocalIce> local;
  std::optional<SelectedPair> pair;
  int first_checks = 0;
  IceAgent ice;

  Agent(MainLoop& loop, const char* address, bool controlling)
      : ice(loop, IceOptions{address, controlling, std::nullopt, std::nullopt, false},
            IceCallbacks{.on_gathered = [this](const LocalIce& l) { local = l; },
                         .on_state = {},
                         .on_ready = [this](const SelectedPair& p) { pair = p; },
                         .on_datagram = {},
                         .on_first_check = [this] { ++first_checks; }}) {}

  void take_remote(const Agent& other) {
    ASSERT_TRUE(other.local);
    auto added = ice.set_remote(other.local->ufrag, other.local->pwd, other.local->candidates);
    ASSERT_TRUE(added) << added.error().message;
  }
};

Clock::time_point soon() { return Clock::now() + std::chrono::seconds(5); }

TEST(IceAgent, ReportsThePeersFirstCheckBeforeItKnowsThePeersCredentialsAndOnlyOnce) {
  MainLoop loop;
  MainLoop::ThreadDefault scope(loop);
  Agent offerer(loop, "127.0.0.2", true), answerer(loop, "127.0.0.3", false);
  offerer.ice.gather();
  answerer.ice.gather();
  ASSERT_TRUE(loop.run_until([&] { return offerer.local && answerer.local; }, soon()));

  // Only the offerer knows the other's ICE data (it read the answer): its
  // checks reach an answerer that cannot select a pair yet.
  offerer.take_remote(answerer);
  ASSERT_TRUE(loop.run_until([&] { return answerer.first_checks > 0; }, soon()));
  EXPECT_FALSE(answerer.pair);
  EXPECT_EQ(offerer.first_checks, 0);

  answerer.take_remote(offerer);
  // Now both check (the answerer's triggered checks reach the offerer); the
  // answerer's first check was reported once, however many followed.
  ASSERT_TRUE(loop.run_until([&] { return offerer.pair && answerer.pair && offerer.first_checks > 0; }, soon()));
  EXPECT_EQ(answerer.first_checks, 1);
  EXPECT_EQ(offerer.first_checks, 1);
}

}  // namespace
}  // namespace sigtrust
