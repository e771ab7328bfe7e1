// Repeated runs in one process (CTest label "stress"; not in the default suite).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

int repetitions() {
  const char* env = std::getenv("SIGTRUST_STRESS_RUNS");
  return env ? std::max(1, std::atoi(env)) : 100;
}

TEST(Stress, ConsecutiveHonestRunsInOneProcessAllSecure) {
  CertificateStore store;
  const auto s = testing::load_yaml(testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml"));
  const int n = repetitions();
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    const auto r = testing::run(s, &store);
    if (r.sessions.size() != 1 || r.sessions[0].outcome != Outcome::Secure || !r.error.empty()) {
      ++failures;
      ADD_FAILURE() << "run " << i << ": "
                    << (r.sessions.empty() ? r.error : std::string(to_string(r.sessions[0].outcome)));
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << n << " runs failed";
}

TEST(Stress, ConsecutiveSwapMitmRunsInOneProcessAllUndetected) {
  CertificateStore store;
  const auto s = testing::load_yaml(testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/swap-mitm.yaml"));
  const int n = repetitions();
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    const auto r = testing::run(s, &store);
    if (r.sessions.size() != 1 || r.sessions[0].outcome != Outcome::MitmUndetected) ++failures;
  }
  EXPECT_EQ(failures, 0) << failures << " of " << n << " runs failed";
}

// What a run that missed its expectation did: each session's outcome, the
// simulator's error, and the timeline, so a rare miss can be diagnosed.
std::string what_happened(const RunResult& r) {
  std::string out;
  for (const auto& s : r.sessions)
    out += "session " + s.offerer + " -> " + s.answerer + ": " + std::string(to_string(s.outcome)) +
           (s.waiting_for.empty() ? "" : " (" + s.waiting_for + ")") + "\n";
  if (!r.error.empty()) out += "error: " + r.error + "\n";
  if (r.deadline_reached) out += "the deadline ended the run\n";
  for (const auto& e : r.timeline)
    out += std::to_string(static_cast<long>(e.t_ms)) + " ms " + e.actor + " " + e.kind + " " + e.text + "\n";
  return out;
}

// The whole built-in catalogue, again and again in one process: every
// expectation every time (SIGTRUST_CATALOGUE_RUNS, default 20; the issue's
// soak is 1000).
TEST(Stress, WholeCatalogueRepeatedHasNoFlakyOutcome) {
  const char* env = std::getenv("SIGTRUST_CATALOGUE_RUNS");
  const int n = env ? std::max(1, std::atoi(env)) : 20;
  std::vector<scenario::Scenario> catalogue;
  for (const auto& e : std::filesystem::directory_iterator(SIGTRUST_SOURCE_DIR "/scenarios"))
    if (e.path().extension() == ".yaml") catalogue.push_back(testing::load_yaml(testing::read_text(e.path().string())));
  ASSERT_GE(catalogue.size(), 15u);
  CertificateStore store;
  CoturnService coturn;
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.certificates = &store;
  o.coturn = &coturn;
  int runs = 0, flaky = 0;
  for (int i = 0; i < n; ++i)
    for (const auto& s : catalogue) {
      ++runs;
      const auto r = run_scenario(s, o);
      if (!all_passed(r)) {
        ++flaky;
        ADD_FAILURE() << "round " << i << ": " << s.name << " missed its expectation\n" << what_happened(r);
      }
    }
  std::printf("catalogue: %d runs, %d flaky\n", runs, flaky);
  EXPECT_EQ(flaky, 0);
}

// coturn keeps allocations it was not told to release; a reused 5-tuple then
// meets 437 Allocation Mismatch (docs/architecture.md, measured facts). 200 in a row must pass.
TEST(Stress, ConsecutiveRelayOnlyRunsThroughCoturnAllSecure) {
  CertificateStore store;
  CoturnService coturn;
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.certificates = &store;
  o.coturn = &coturn;
  const auto s = testing::load_yaml(testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/turn-relay.yaml"));
  const int n = std::max(200, repetitions());
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    const auto r = run_scenario(s, o);
    if (r.sessions.size() != 1 || r.sessions[0].outcome != Outcome::Secure || !r.error.empty()) {
      ++failures;
      ADD_FAILURE() << "run " << i << ": "
                    << (r.sessions.empty() ? r.error : std::string(to_string(r.sessions[0].outcome)));
    }
  }
  EXPECT_EQ(failures, 0) << failures << " of " << n << " runs failed";
}

}  // namespace
}  // namespace sigtrust
