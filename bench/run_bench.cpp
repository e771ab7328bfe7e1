// Macro benchmark: medians and spreads of whole runs on this machine.
//   sigtrust_bench [--runs N] [--processes N] [--matrix-runs N]
// Reports, each next to issue 8's target where it has one:
//  (1) every catalogue scenario (scenarios/*.yaml) run N times in one process,
//      certificates made once per identity and coturn started once (both in
//      an untimed warm-up run), every run checked against the scenario's
//      expectations; with the CPU time (user+sys of this process) per run;
//  (2) from those batches, CPU time per connection of honest runs (one
//      connection each) and swap-mitm runs (two each);
//  (3) the whole `sigtrust run scenarios/honest.yaml` process, fork to exit;
//  (4) the whole `sigtrust matrix --jobs 2` process, fork to exit.
// Exits 1 if any run missed its expectations (or a process exited non-zero).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
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

// User + system CPU time of this process so far (every thread; children excluded).
double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
  };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

struct Batch {
  Stats wall;
  double cpu_ms_per_run = 0;
  size_t failures = 0;
};

// Why a run missed its expectations, for the first one of a batch that did.
std::string why_failed(const RunResult& r) {
  if (!r.error.empty()) return "simulator error: " + r.error;
  if (r.interrupted) return "interrupted";
  for (const auto& ss : r.sessions)
    if (!ss.pass)
      return ss.offerer + " -> " + ss.answerer + ": " + std::string(to_string(ss.outcome)) + ", expected " +
             ss.expected;
  return "?";
}

// `runs` timed runs of `s` after an untimed warm-up (where certificates are
// made and coturn is started, when the scenario needs them). A run counts as
// a failure unless it met every expectation, as `sigtrust run` decides it
// (all_passed).
Batch in_process(const scenario::Scenario& s, int runs, const EngineOptions& o) {
  run_scenario(s, o);
  Batch b;
  std::vector<double> t;
  const double cpu_before = cpu_ms();
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const auto r = run_scenario(s, o);
    t.push_back(Ms(Clock::now() - start).count());
    if (!all_passed(r) && b.failures++ == 0)
      std::fprintf(stderr, "%s, run %d: %s\n", s.name.c_str(), i + 1, why_failed(r).c_str());
  }
  b.cpu_ms_per_run = (cpu_ms() - cpu_before) / runs;
  b.wall = stats(t);
  return b;
}

// `binary args...` as a whole process, fork to exit, `runs` times; a non-zero exit is a failure.
Stats whole_process(const std::string& binary, const std::vector<std::string>& args, int runs, size_t* failures) {
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    std::fflush(stdout);  // or the child inherits and rewrites unflushed output
    const pid_t pid = fork();
    if (pid == 0) {
      std::freopen("/dev/null", "w", stdout);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    t.push_back(Ms(Clock::now() - start).count());
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++*failures;
  }
  return stats(t);
}

std::vector<std::string> catalogue(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Resident set size now, in KiB.
long rss_kib() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// N honest pairs in one run (`scale: {pairs: N}`, as a scenario file would
// say it), each N in a process of its own (forked), certificates made
// beforehand: wall time, CPU time (user+sys) per pair, what the N live
// connections hold in memory (RSS just before teardown, when all N are up,
// minus RSS before the run) and the process's peak RSS.
bool scale(const std::vector<int>& sizes) {
  bool all_secure = true;
  std::printf("%6s %10s %8s %9s %9s %11s %10s %9s %13s\n", "pairs", "wall ms", "ms/pair", "CPU ms", "CPU/pair",
              "secure", "live MiB", "peak MiB", "KiB/live pair");
  for (const int n : sizes) {
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid > 0) {
      int st = 0;
      waitpid(pid, &st, 0);
      all_secure = all_secure && WIFEXITED(st) && WEXITSTATUS(st) == 0;
      continue;
    }
    const std::string yaml =
        "name: scale-" + std::to_string(n) + "\ndeadline_ms: 120000\nscale: {pairs: " + std::to_string(n) + "}\n";
    auto loaded = scenario::load_string(yaml, "scale.yaml", attacks::vocabulary());
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      std::exit(2);
    }
    const scenario::Scenario& s = *loaded;
    CertificateStore store;
    for (const auto& p : s.peers) store.get(p.name);
    EngineOptions o;
    o.make_attack = &attacks::make_attack;
    o.certificates = &store;
    long live_kib = 0;
    const long before_kib = rss_kib();
    o.before_teardown = [&] { live_kib = rss_kib() - before_kib; };
    const double cpu_before = cpu_ms();
    const auto start = Clock::now();
    const auto r = run_scenario(s, o);
    const double ms = Ms(Clock::now() - start).count();
    const double cpu = cpu_ms() - cpu_before;
    int secure = 0;
    for (const auto& ss : r.sessions) secure += ss.outcome == Outcome::Secure;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("%6d %10.1f %8.2f %9.1f %9.2f %5d/%-5d %10.1f %9ld %13.0f\n", n, ms, ms / n, cpu, cpu / n, secure, n,
                static_cast<double>(live_kib) / 1024, usage.ru_maxrss / 1024, static_cast<double>(live_kib) / n);
    std::fflush(stdout);
    _exit(secure == n ? 0 : 1);
  }
  return all_secure;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && !std::strcmp(argv[1], "--scale")) {
    std::vector<int> sizes;
    for (int i = 2; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
    if (sizes.empty()) sizes = {10, 50, 100, 200, 500};
    return scale(sizes) ? 0 : 1;
  }
  int runs = 200, processes = 50, matrix_runs = 5;
  for (int i = 1; i < argc; i += 2) {
    int* value = !std::strcmp(argv[i], "--runs")          ? &runs
                 : !std::strcmp(argv[i], "--processes")   ? &processes
                 : !std::strcmp(argv[i], "--matrix-runs") ? &matrix_runs
                                                          : nullptr;
    if (!value || i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: sigtrust_bench [--runs N] [--processes N] [--matrix-runs N]\n"
                   "       sigtrust_bench --scale [N...]\n");
      return 2;
    }
    *value = std::atoi(argv[i + 1]);
  }
  const std::string dir = SIGTRUST_SOURCE_DIR "/scenarios/";
  size_t failures = 0;

  // Issue 8's targets (medians on this machine).
  const std::map<std::string, std::string> targets = {
      {"honest", "<= 4 ms"}, {"swap-mitm", "<= 6 ms"}, {"turn-relay", "<= 10 ms (relay-only)"}};
  std::map<std::string, Batch> batches;
  if (runs > 0) {
    CertificateStore store;
    CoturnService coturn;  // started by the first warm-up run that needs it, not timed
    EngineOptions o;
    o.coturn = &coturn;
    o.make_attack = &attacks::make_attack;
    o.certificates = &store;
    std::printf("Catalogue scenarios in one process, %d runs each (certificates and coturn start excluded)\n", runs);
    std::printf("%-28s %7s %7s %7s %7s %7s %9s  %-8s %s\n", "scenario", "median", "p10", "p90", "min", "max", "CPU/run",
                "expects", "target");
    for (const auto& file : catalogue(dir)) {
      const auto s = load(file);
      const Batch b = in_process(s, runs, o);
      failures += b.failures;
      batches[s.name] = b;
      const auto target = targets.find(s.name);
      std::printf("%-28s %7.2f %7.2f %7.2f %7.2f %7.2f %9.2f  %-8s %s\n", s.name.c_str(), b.wall.median, b.wall.p10,
                  b.wall.p90, b.wall.min, b.wall.max, b.cpu_ms_per_run,
                  b.failures ? (std::to_string(b.failures) + " miss").c_str() : "met",
                  target == targets.end() ? "" : target->second.c_str());
    }
    std::printf("(milliseconds; CPU/run is user+sys of this process, so coturn's own CPU is not in it)\n\n");
    if (batches.count("honest"))
      std::printf(
          "CPU per connection, honest runs (1 connection each):     %5.2f ms   target <= 2.6 ms"
          " (yardstick 1.7)\n",
          batches["honest"].cpu_ms_per_run);
    if (batches.count("swap-mitm"))
      std::printf("CPU per connection, swap-mitm runs (2 connections each): %5.2f ms   target <= 2.6 ms\n",
                  batches["swap-mitm"].cpu_ms_per_run / 2);
    std::printf("\n");
  }
  if (processes > 0)
    print("`sigtrust run honest.yaml` (whole process)",
          whole_process(SIGTRUST_BINARY, {"run", dir + "honest.yaml", "-q"}, processes, &failures),
          static_cast<size_t>(processes), "<= 60 ms");
  if (matrix_runs > 0)
    print("`sigtrust matrix --jobs 2` (whole process)",
          whole_process(SIGTRUST_BINARY, {"matrix", "--jobs", "2", "-q"}, matrix_runs, &failures),
          static_cast<size_t>(matrix_runs), "<= 2000 ms");
  std::printf("runs or processes that missed their expectations: %zu\n", failures);
  return failures ? 1 : 0;
}
