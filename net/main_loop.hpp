// One owner of a GLib main context per run (docs/architecture.md, convention 6). Everything of a run
// (libnice agents, the WebSocket server and clients, timers) is created on
// this context while it is the thread-default one, and the run drives it from
// one thread. Several runs may proceed in parallel on different threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/clock.hpp"
#include "net/glib_handles.hpp"

namespace sigtrust {

class MainLoop;

// A one-shot or repeating timer; destroying it cancels it.
class Timer {
 public:
  Timer() = default;
  Timer(Timer&&) noexcept = default;
  // Assigning over a timer cancels the one it held, as destroying it would.
  Timer& operator=(Timer&& other) noexcept;
  ~Timer();
  void cancel();
  bool active() const { return static_cast<bool>(source_); }

 private:
  friend class MainLoop;
  struct State;
  SourcePtr source_;
};

class MainLoop {
 public:
  MainLoop();
  ~MainLoop();
  MainLoop(const MainLoop&) = delete;
  MainLoop& operator=(const MainLoop&) = delete;

  GMainContext* context() const { return ctx_.get(); }

  // Runs `fn` once after `delay` on this context.
  Timer after(std::chrono::microseconds delay, std::function<void()> fn);

  // Iterates the context until `done()` is true or `deadline` passes.
  // Returns true if done() became true. With `poll` > 0 the loop also wakes
  // that often, so `done()` may watch something outside the loop (a stop flag).
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(0));

  // Makes this context the thread-default one for its lifetime (libnice's
  // close_async and libsoup's sessions bind to the thread-default context).
  class ThreadDefault {
   public:
    explicit ThreadDefault(MainLoop& loop);
    ~ThreadDefault();
    ThreadDefault(const ThreadDefault&) = delete;
    ThreadDefault& operator=(const ThreadDefault&) = delete;

   private:
    GMainContext* ctx_;
  };

 private:
  MainContextPtr ctx_;
};

}  // namespace sigtrust
