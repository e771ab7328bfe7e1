// Isolation: each sigtrust invocation in a private user + network namespace
// holding only lo, for unprivileged users too.
#include <gtest/gtest.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int status = -1;
  std::string out;
};

// A copy of the binary and the scenarios where an unprivileged user can read
// them (the build tree may sit under a private home directory).
const fs::path& public_dir() {
  static const fs::path dir = [] {
    const fs::path d = fs::path("/tmp") / ("sigtrust-iso-" + std::to_string(getpid()));
    fs::create_directories(d / "scenarios");
    fs::copy_file(SIGTRUST_BINARY, d / "sigtrust", fs::copy_options::overwrite_existing);
    for (const char* f : {"swap-mitm.yaml", "honest.yaml"})
      fs::copy_file(fs::path(SIGTRUST_SOURCE_DIR) / "scenarios" / f, d / "scenarios" / f,
                    fs::copy_options::overwrite_existing);
    fs::permissions(d, fs::perms::all);
    fs::permissions(d / "scenarios", fs::perms::all);
    return d;
  }();
  return dir;
}

// Runs sigtrust with `args`; as user nobody when we are root, so the test
// shows what an unprivileged user gets.
Ran run_unprivileged(const std::vector<std::string>& args) {
  const std::string binary = (public_dir() / "sigtrust").string();
  int pipefd[2];
  if (pipe(pipefd) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    dup2(pipefd[1], STDERR_FILENO);
    close(pipefd[0]);
    if (getuid() == 0 &&
        (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0))
      _exit(126);
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  Ran r;
  std::array<char, 4096> buf{};
  ssize_t n;
  while ((n = read(pipefd[0], buf.data(), buf.size())) > 0) r.out.append(buf.data(), static_cast<size_t>(n));
  close(pipefd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(Isolation, OnlyLoIsVisibleInsideTheNamespace) {
  const auto r = run_unprivileged({"doctor"});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("network interfaces visible: lo\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("note: no private network namespace"), std::string::npos) << r.out;
}

TEST(Isolation, UnprivilegedRunCapturesLoInsideTheNamespace) {
  const fs::path dir = public_dir() / "reports";
  fs::create_directories(dir);
  chmod(dir.c_str(), 0777);  // writable by the unprivileged user
  const auto r =
      run_unprivileged({"run", (public_dir() / "scenarios/swap-mitm.yaml").string(), "--report-dir", dir.string()});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("capture"), std::string::npos) << "no capture warning expected: " << r.out;
  ASSERT_TRUE(fs::exists(dir / "capture.pcap"));
  EXPECT_GT(fs::file_size(dir / "capture.pcap"), 1000u);
  fs::remove_all(dir);
}

TEST(Isolation, NoIsolateKeepsTheHostLoopbackAndStillWorks) {
  const auto r = run_unprivileged({"run", "--no-isolate", (public_dir() / "scenarios/honest.yaml").string()});
  EXPECT_EQ(r.status, 0) << r.out;
  const auto d = run_unprivileged({"doctor", "--no-isolate"});
  EXPECT_NE(d.out.find("isolation: off"), std::string::npos) << d.out;
}

}  // namespace
}  // namespace sigtrust
