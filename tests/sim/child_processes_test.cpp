// Child processes of sigtrust (relays, adapters, coturn) start with no signal
// blocked, whatever sigtrust blocked for its own stop watcher.
#include "sim/child_processes.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sigtrust {
namespace {

TEST(ChildProcesses, ChildStartsWithNoSignalBlocked) {
  sigset_t before;
  pthread_sigmask(SIG_SETMASK, nullptr, &before);
  block_stop_signals();  // as main() does before starting anything
  const auto log = std::filesystem::temp_directory_path() / ("sigtrust-child-" + std::to_string(getpid()));
  auto pid = spawn_child({"sh", "-c", "grep SigBlk /proc/self/status"}, log.string());
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(log);
  // SIGTERM blocked would read SigBlk: 0000000000004002 (SIGINT and SIGTERM).
  EXPECT_EQ(text.str(), "SigBlk:\t0000000000000000\n");
}

}  // namespace
}  // namespace sigtrust
