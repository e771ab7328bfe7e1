// SIGINT during a matrix: out within a second, the partial result written
// with the unfinished runs marked, a non-zero exit.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

bool sigint_blocked(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("SigBlk:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> (SIGINT - 1)) & 1;
  return false;
}

TEST(Interrupt, SigintDuringMatrixWritesPartialResultWithinASecond) {
  const std::string json = ::testing::TempDir() + "/interrupted-" + std::to_string(getpid()) + ".json";
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(SIGTRUST_BINARY, SIGTRUST_BINARY, "matrix", "--jobs", "1", "--json", json.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until sigtrust is up (it blocks SIGINT for its watcher thread), then let the matrix get going.
  for (int i = 0; i < 500 && !sigint_blocked(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto sent = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  const auto took = std::chrono::steady_clock::now() - sent;
  EXPECT_LT(took, std::chrono::seconds(1));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto doc = nlohmann::json::parse(testing::read_text(json));
  std::filesystem::remove(json);
  const auto& runs = doc["runs"];
  ASSERT_GT(runs.size(), 100u) << "every cell is listed, run or not";
  size_t interrupted = 0, finished = 0;
  for (const auto& r : runs) (r["interrupted"].get<bool>() ? interrupted : finished)++;
  EXPECT_GT(interrupted, 0u);
  EXPECT_GT(finished, 0u);
  EXPECT_EQ(doc["summary"]["interrupted"].get<size_t>(), interrupted);
}

}  // namespace
}  // namespace sigtrust
