// Entries from real C code (a GLib timer source, libsoup's WebSocket connect
// completion and message signal, GnuTLS's push function) whose C++ callbacks
// throw: the exception ends as a report, the loop goes on, nothing unwinds
// through C (which would be undefined behaviour, in practice a crash).
#include "core/c_entry.hpp"
#include "../core/c_entry_reports.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/timeline.hpp"
#include "net/main_loop.hpp"
#include "net/signaling_client.hpp"
#include "net/signaling_relay.hpp"

namespace sigtrust {
namespace {

using namespace std::chrono_literals;

using Reports = test::CEntryReports;

TEST(CEntryFromGlib, AThrowingTimerIsReportedAndTheLoopRunsOn) {
  MainLoop loop;
  Reports seen;
  CEntryReporter reporter(seen.report());
  bool later = false;
  Timer boom = loop.after(0ms, [] { throw std::runtime_error("timer failed"); });
  Timer next = loop.after(1ms, [&] { later = true; });
  EXPECT_TRUE(loop.run_until([&] { return later; }, Clock::now() + 5s));
  ASSERT_EQ(seen.what.size(), 1u);
  EXPECT_EQ(seen.where[0], "a timer");
  EXPECT_EQ(seen.what[0], "timer failed");
}

TEST(CEntryFromLibsoup, ThrowingClientCallbacksAreReported) {
  MainLoop loop;
  MainLoop::ThreadDefault td(loop);
  Timeline timeline;
  SignalingRelay relay(loop, "127.0.0.1", timeline);
  Reports seen;
  CEntryReporter reporter(seen.report());
  bool echoed = false;
  SignalingClient a(loop, relay.url() + "/room?peer=a",
                    {[] { throw std::runtime_error("open failed"); }, nullptr, nullptr});
  SignalingClient b(loop, relay.url() + "/room?peer=b",
                    {nullptr,
                     [&](const std::string&) {
                       echoed = true;
                       throw std::runtime_error("message failed");
                     },
                     nullptr});
  a.connect();
  b.connect();
  ASSERT_TRUE(loop.run_until([&] { return a.open() && b.open(); }, Clock::now() + 5s));
  ASSERT_TRUE(a.send(R"({"type":"bye"})"));
  ASSERT_TRUE(loop.run_until([&] { return echoed; }, Clock::now() + 5s));
  ASSERT_EQ(seen.what.size(), 2u);
  EXPECT_EQ(seen.where[0], "the signaling client's WebSocket connect");
  EXPECT_EQ(seen.what[0], "open failed");
  EXPECT_EQ(seen.where[1], "the signaling client's 'message' handler");
  EXPECT_EQ(seen.what[1], "message failed");
}

}  // namespace
}  // namespace sigtrust
