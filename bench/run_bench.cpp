// Macro benchmark: medians and spreads of whole runs on this machine.
//   sigtrust_bench [--runs N] [--processes N]
// Reports (1) honest and swap-mitm runs in one process, certificates made
// once and reused (excluded from the figures), and (2) the whole
// `sigtrust run scenarios/honest.yaml` process, fork to exit.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "attacks/registry.hpp"
#include "sim/engine.hpp"
#include "sim/scenario.hpp"

using namespace sigtrust;
using Ms = std::chrono::duration<double, std::milli>;

namespace {

struct Stats {
  double median, p10, p90, min, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]; };
  return {at(0.5), at(0.1), at(0.9), v.front(), v.back()};
}

void print(const char* what, const Stats& s, size_t n, const char* target) {
  std::printf("%-44s n=%-5zu median %7.2f ms  p10 %7.2f  p90 %7.2f  min %7.2f  max %7.2f   target %s\n", what, n,
              s.median, s.p10, s.p90, s.min, s.max, target);
}

scenario::Scenario load(const std::string& path) {
  auto s = scenario::load_file(path, attacks::vocabulary());
  if (!s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    std::exit(2);
  }
  return *s;
}

Stats in_process(const scenario::Scenario& s, int runs, const char* expect, size_t* failures) {
  CertificateStore store;
  CoturnService coturn;  // started by the warm-up run, not timed
  EngineOptions o;
  o.coturn = &coturn;
  o.make_attack = &attacks::make_attack;
  o.certificates = &store;
  run_scenario(s, o);  // warm-up: certificates made here, not timed
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const auto r = run_scenario(s, o);
    t.push_back(Ms(Clock::now() - start).count());
    if (r.sessions.empty() || to_string(r.sessions[0].outcome) != expect) ++*failures;
  }
  return stats(t);
}

Stats whole_process(const std::string& binary, const std::string& file, int runs, size_t* failures) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    std::fflush(stdout);  // or the child inherits and rewrites unflushed output
    const pid_t pid = fork();
    if (pid == 0) {
      std::freopen("/dev/null", "w", stdout);
      execl(binary.c_str(), binary.c_str(), "run", file.c_str(), "-q", static_cast<char*>(nullptr));
      _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    t.push_back(Ms(Clock::now() - start).count());
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++*failures;
  }
  return stats(t);
}

// N honest pairs in one run (one main loop), certificates made beforehand:
// wall time of the run and the process's peak RSS after it.
void scale(const std::vector<int>& sizes) {
  for (const int n : sizes) {
    scenario::Scenario s;
    s.name = "scale-" + std::to_string(n);
    s.deadline_ms = 60000;
    for (int i = 0; i < 2 * n; ++i) {
      scenario::PeerSpec p;
      p.name = "p" + std::to_string(i);
      p.trust = {"sdp-fingerprint"};
      s.peers.push_back(p);
    }
    for (int i = 0; i < n; ++i) {
      scenario::SessionSpec ss;
      ss.offerer = "p" + std::to_string(2 * i);
      ss.answerer = "p" + std::to_string(2 * i + 1);
      ss.expect = "secure";
      ss.messages = {{ss.offerer, "hello"}, {ss.answerer, "hello"}};
      s.sessions.push_back(ss);
    }
    CertificateStore store;
    for (const auto& p : s.peers) store.get(p.name);
    EngineOptions o;
    o.make_attack = &attacks::make_attack;
    o.certificates = &store;
    const auto start = Clock::now();
    const auto r = run_scenario(s, o);
    const double ms = Ms(Clock::now() - start).count();
    int secure = 0;
    for (const auto& ss : r.sessions) secure += ss.outcome == Outcome::Secure;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("scale: %4d pairs in one run: %8.1f ms, %.2f ms/pair, %d/%d secure, peak RSS %ld MiB\n", n, ms,
                ms / n, secure, n, usage.ru_maxrss / 1024);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && !std::strcmp(argv[1], "--scale")) {
    std::vector<int> sizes;
    for (int i = 2; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
    if (sizes.empty()) sizes = {10, 50, 100, 200, 500};
    scale(sizes);
    return 0;
  }
  int runs = 200, processes = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--processes")) processes = std::atoi(argv[i + 1]);
  }
  const std::string dir = SIGTRUST_SOURCE_DIR "/scenarios/";
  size_t failures = 0;
  print("honest run (in process, certs excluded)", in_process(load(dir + "honest.yaml"), runs, "secure", &failures),
        static_cast<size_t>(runs), "<= 10 ms");
  print("swap-mitm run (in process, certs excluded)",
        in_process(load(dir + "swap-mitm.yaml"), runs, "mitm-undetected", &failures), static_cast<size_t>(runs),
        "<= 15 ms");
  print("relay-only run via coturn (coturn start excl.)",
        in_process(load(dir + "turn-relay.yaml"), runs, "secure", &failures), static_cast<size_t>(runs), "<= 20 ms");
  print("`sigtrust run honest.yaml` (whole process)",
        whole_process(SIGTRUST_BINARY, dir + "honest.yaml", processes, &failures), static_cast<size_t>(processes),
        "<= 150 ms");
  std::printf("unexpected outcomes: %zu\n", failures);
  return failures ? 1 : 0;
}
