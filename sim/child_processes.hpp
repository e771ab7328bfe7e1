// Child processes of sigtrust (coturn) and how they die with it: each child
// gets PR_SET_PDEATHSIG (so even SIGKILL of sigtrust ends it), and the CLI's
// SIGINT/SIGTERM handler kills every registered child before exiting.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace sigtrust {

// Forks and execs `argv` (argv[0] a path or a name looked up in PATH) with
// stdout/stderr to `log_path`. The child is registered until reap_child().
Result<pid_t> spawn_child(const std::vector<std::string>& argv, const std::string& log_path);
// The same with stderr to its own file `err_path` (a client whose stderr tail
// is reported on its own).
Result<pid_t> spawn_child(const std::vector<std::string>& argv, const std::string& log_path,
                          const std::string& err_path);

// The full path of the executable `name` found in PATH, "" if none (what
// execvp would run). Runs that need a program check first, so a missing one
// is named instead of failing later in a way that hides why.
std::string find_program(const std::string& name);

// SIGTERM, then SIGKILL after `grace_ms`; waits for it and unregisters it.
void reap_child(pid_t pid, int grace_ms = 500);

// Async-signal-safe: SIGKILL to every registered child.
void kill_all_children();

// SIGINT/SIGTERM handling for a process that runs simulations: call
// block_stop_signals() first, while the process has one thread (the mask is
// inherited by every thread created later), then start_stop_watcher(). On
// the first signal the watcher kills every child at once and sets `stop`, so
// runs end and the caller can write what it has; if the process is still
// alive `grace_ms` later, it exits with 128+signal.
void block_stop_signals();
void start_stop_watcher(std::atomic<bool>& stop, int grace_ms = 900);
// The signal the watcher received (0 if none).
int stop_signal();

}  // namespace sigtrust
