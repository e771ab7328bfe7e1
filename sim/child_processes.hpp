// Child processes of sigtrust (coturn) and how they die with it: each child
// gets PR_SET_PDEATHSIG (so even SIGKILL of sigtrust ends it), and the CLI's
// SIGINT/SIGTERM handler kills every registered child before exiting.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "sim/result.hpp"

namespace sigtrust {

// Forks and execs `argv` (argv[0] a path or a name looked up in PATH) with
// stdout/stderr to `log_path`. The child is registered until reap_child().
Result<pid_t> spawn_child(const std::vector<std::string>& argv, const std::string& log_path);

// SIGTERM, then SIGKILL after `grace_ms`; waits for it and unregisters it.
void reap_child(pid_t pid, int grace_ms = 500);

// Async-signal-safe: SIGKILL to every registered child.
void kill_all_children();

// Installs SIGINT/SIGTERM handlers that kill every child, then let the
// signal end the process as it would have (exit status 128+signal).
void install_child_reaper_on_signals();

}  // namespace sigtrust
