#include "net/main_loop.hpp"

#include "core/c_entry.hpp"

namespace sigtrust {

struct Timer::State {
  std::function<void()> fn;
};

Timer::~Timer() { cancel(); }

Timer& Timer::operator=(Timer&& other) noexcept {
  if (this != &other) {
    cancel();
    source_ = std::move(other.source_);
  }
  return *this;
}

void Timer::cancel() {
  if (source_) {
    if (!g_source_is_destroyed(source_.get())) g_source_destroy(source_.get());
    source_.reset();
  }
}

MainLoop::MainLoop() : ctx_(g_main_context_new()) {}
MainLoop::~MainLoop() {
  // Dispatches what is still pending (completions of objects already gone,
  // e.g. a WebSocket connect cancelled by an interrupted run), so their
  // sources are released, with this context as the thread-default one, as
  // everything on it runs: libsoup asserts that a message completes in the
  // context it was queued from.
  g_main_context_push_thread_default(ctx_.get());
  while (g_main_context_pending(ctx_.get())) g_main_context_iteration(ctx_.get(), FALSE);
  g_main_context_pop_thread_default(ctx_.get());
}

Timer MainLoop::after(std::chrono::microseconds delay, std::function<void()> fn) {
  Timer t;
  const auto ms = static_cast<guint>(std::max<std::int64_t>(0, (delay.count() + 999) / 1000));
  GSource* src = g_timeout_source_new(ms);
  g_source_set_callback(
      src,
      [](gpointer data) -> gboolean {
        c_entry("a timer", [data] {
          // Copy first: the callback may destroy the Timer that owns this source.
          auto fn_copy = static_cast<Timer::State*>(data)->fn;
          fn_copy();
        });
        return G_SOURCE_REMOVE;
      },
      give_to_c(std::make_unique<Timer::State>(Timer::State{std::move(fn)})), &destroy_from_c<Timer::State>);
  g_source_attach(src, ctx_.get());
  t.source_.reset(src);
  return t;
}

bool MainLoop::run_until(const std::function<bool()>& done, Clock::time_point deadline,
                         std::chrono::milliseconds poll) {
  // A wake-up at the deadline bounds the blocking iteration.
  bool expired = false;
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  Timer wake = after(std::max(left, std::chrono::microseconds(0)), [&expired] { expired = true; });
  SourcePtr ticker;
  if (poll.count() > 0) {
    ticker.reset(g_timeout_source_new(static_cast<guint>(poll.count())));
    g_source_set_callback(
        ticker.get(), [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr, nullptr);
    g_source_attach(ticker.get(), ctx_.get());
  }
  bool finished = false;
  while (!(finished = done())) {
    if (expired || Clock::now() >= deadline) break;
    g_main_context_iteration(ctx_.get(), TRUE);
  }
  if (ticker) g_source_destroy(ticker.get());
  return finished;
}

MainLoop::ThreadDefault::ThreadDefault(MainLoop& loop) : ctx_(loop.context()) {
  g_main_context_push_thread_default(ctx_);
}
MainLoop::ThreadDefault::~ThreadDefault() { g_main_context_pop_thread_default(ctx_); }

}  // namespace sigtrust
