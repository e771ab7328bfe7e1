// SIGINT during a matrix: the partial result written with the unfinished
// runs marked, exit status 128 + SIGINT.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include <pty.h>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

// Reads what the child wrote to its terminal until `done` says enough was
// seen, or until it closes the terminal (exits); returns what was read.
std::string read_terminal(int master, const std::function<bool(const std::string&)>& done) {
  std::string seen;
  char buf[4096];
  while (!done(seen)) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child is gone
    seen.append(buf, static_cast<size_t>(n));
  }
  return seen;
}

// SIGINT once the matrix has finished a cell and has others to go: the
// partial result is written, with the unfinished runs marked. The child gets
// a terminal, so it prints its progress ("\rN/M cells"), which is the event
// the test waits for; no fixed pause.
TEST(Interrupt, SigintDuringMatrixWritesPartialResult) {
  const std::string json = ::testing::TempDir() + "/interrupted-" + std::to_string(getpid()) + ".json";
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0) << "forkpty failed";
  if (pid == 0) {
    execl(SIGTRUST_BINARY, SIGTRUST_BINARY, "matrix", "--jobs", "1", "--json", json.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::regex one_done("\r[1-9][0-9]*/[0-9]+ cells");
  const std::string progress =
      read_terminal(master, [&](const std::string& s) { return std::regex_search(s, one_done); });
  ASSERT_TRUE(std::regex_search(progress, one_done)) << "no cell finished; the matrix printed: " << progress;
  const auto sent = std::chrono::steady_clock::now();
  kill(pid, SIGINT);
  read_terminal(master, [](const std::string&) { return false; });  // drain until it exits
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  // How long it took is a figure, not an assertion (bench/ holds timing targets).
  RecordProperty(
      "ms_from_sigint_to_exit",
      static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count()));
  ASSERT_TRUE(WIFEXITED(status)) << status;
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
