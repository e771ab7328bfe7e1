// The `sigtrust` command as a user runs it: exit statuses and messages.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int status = -1;
  std::string out, err;
};

Ran sigtrust_cli(const std::string& args) {
  const fs::path err_file = fs::temp_directory_path() / ("sigtrust-cli-" + std::to_string(::getpid()) + ".err");
  const std::string cmd = std::string(SIGTRUST_BINARY) + " " + args + " 2>" + err_file.string();
  Ran r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = testing::read_text(err_file.string());
  fs::remove(err_file);
  return r;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Each broken scenario file exits 2 with file:line:column and what was
// expected; the message is the golden `.expect` next to it.
class BadScenario : public ::testing::TestWithParam<std::string> {};

// Exit status, wall time and peak memory of `sigtrust run FILE` (wait4's rusage).
struct Measured {
  int status = -1;
  double seconds = 0;
  long max_rss_kb = 0;
};

Measured measure_run(const std::string& file) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(SIGTRUST_BINARY, SIGTRUST_BINARY, "run", "--no-isolate", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int st = 0;
  rusage usage{};
  wait4(pid, &st, 0, &usage);
  Measured m;
  m.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.max_rss_kb = usage.ru_maxrss;
  return m;
}

TEST_P(BadScenario, ExitsTwoWithLocatedMessage) {
  const std::string dir = SIGTRUST_TEST_DATA "/bad-scenarios/";
  const std::string name = GetParam();
  std::string expected = first_line(testing::read_text(dir + name + ".expect"));
  ASSERT_FALSE(expected.empty()) << "missing " << name << ".expect";
  const auto r = sigtrust_cli("run " + dir + name + ".yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(first_line(r.err), dir + expected);
  EXPECT_TRUE(r.out.empty()) << "nothing runs when input is bad";
  // Fast and in bounded memory, whatever the file holds (alias bombs, deep nesting, ...).
  const Measured m = measure_run(dir + name + ".yaml");
  EXPECT_EQ(m.status, 2);
  EXPECT_LT(m.seconds, 2.0);
  EXPECT_LT(m.max_rss_kb, 200 * 1024);
}

// Over 1 MiB: refused before parsing, also fast and small.
TEST(Cli, VeryLargeScenarioFileIsRefusedFastInBoundedMemory) {
  const fs::path file = fs::temp_directory_path() / ("sigtrust-large-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(file);
    out << "name: large\ndescription: \"";
    out << std::string(3 * 1024 * 1024, 'x') << "\"\n";
  }
  const auto r = sigtrust_cli("run " + file.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(file.string() + ":1:1:"), std::string::npos) << r.err;
  const Measured m = measure_run(file.string());
  EXPECT_LT(m.seconds, 2.0);
  EXPECT_LT(m.max_rss_kb, 200 * 1024);
  fs::remove(file);
}

std::vector<std::string> bad_scenarios() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(SIGTRUST_TEST_DATA "/bad-scenarios"))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadScenario, ::testing::ValuesIn(bad_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Cli, HonestScenarioExitsZeroAndWritesTheResultDocument) {
  const fs::path json = fs::temp_directory_path() / ("sigtrust-cli-" + std::to_string(::getpid()) + ".json");
  const auto r = sigtrust_cli("run " SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml --json " + json.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("secure"), std::string::npos);
  const auto doc = nlohmann::json::parse(testing::read_text(json.string()));
  fs::remove(json);
  EXPECT_EQ(doc["tool"], "sigtrust");
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["outcome"], "secure");
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["peers"]["alice"]["dtls_peer_owner"], "bob");
  EXPECT_EQ(doc["summary"]["expectations_failed"], 0);
}

TEST(Cli, FailedExpectationExitsOneAndStillWritesJson) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "wrong.yaml") << testing::two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "secure");
  const auto r = sigtrust_cli("run " + (dir / "wrong.yaml").string() + " --json " + (dir / "o.json").string());
  EXPECT_EQ(r.status, 1);
  const auto doc = nlohmann::json::parse(testing::read_text((dir / "o.json").string()));
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["outcome"], "mitm-undetected");
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["pass"], false);
  EXPECT_EQ(doc["summary"]["expectations_failed"], 1);
  fs::remove_all(dir);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(sigtrust_cli("").status, 2);
  EXPECT_EQ(sigtrust_cli("frobnicate").status, 2);
  EXPECT_EQ(sigtrust_cli("run").status, 2);
  EXPECT_EQ(sigtrust_cli("run --no-such-flag x.yaml").status, 2);
  EXPECT_EQ(sigtrust_cli("list colours").status, 2);
  const auto missing = sigtrust_cli("run /nonexistent/file.yaml");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("/nonexistent/file.yaml:1:1:"), std::string::npos) << missing.err;
}

TEST(Cli, ListsTheStableNames) {
  const auto attacks = sigtrust_cli("list attacks");
  EXPECT_EQ(attacks.status, 0);
  for (const char* n : {"none", "swap-mitm", "strip-mitm", "append-mitm", "prepend-mitm", "downgrade-mitm",
                        "hash-swap-mitm", "fingerprint-only", "setup-flip", "drop-answer"})
    EXPECT_NE(attacks.out.find(n), std::string::npos) << n;
  EXPECT_NE(attacks.out.find("hash (sha-1|md5, default sha-1)"), std::string::npos) << attacks.out;
  const auto trust = sigtrust_cli("list trust");
  EXPECT_EQ(trust.status, 0);
  for (const char* n : {"no-verification", "sdp-fingerprint", "sdp-fingerprint-first", "sdp-fingerprint-last"})
    EXPECT_NE(trust.out.find(n), std::string::npos) << n;
  const auto scenarios = sigtrust_cli("list scenarios");
  EXPECT_EQ(scenarios.status, 0);
  EXPECT_NE(scenarios.out.find("honest.yaml"), std::string::npos);
  EXPECT_NE(scenarios.out.find("swap-mitm.yaml"), std::string::npos);
  EXPECT_EQ(scenarios.out.find("invalid"), std::string::npos) << scenarios.out;
}

}  // namespace
}  // namespace sigtrust
