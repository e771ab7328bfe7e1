// Helpers for end-to-end tests: build a scenario from YAML text and run it
// with the real attack registry, on loopback.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "attacks/registry.hpp"
#include "sim/engine.hpp"
#include "sim/scenario.hpp"

namespace sigtrust::testing {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline scenario::Scenario load_yaml(const std::string& yaml) {
  auto s = scenario::load_string(yaml, "test.yaml", attacks::vocabulary());
  if (!s) ADD_FAILURE() << s.error().message;
  return s ? *s : scenario::Scenario{};
}

inline RunResult run(const scenario::Scenario& s, CertificateStore* store = nullptr) {
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.certificates = store;
  return run_scenario(s, o);
}

// Two peers, one session, three messages; `relay` is the YAML value of the relay key.
inline std::string two_peer_yaml(const std::string& trust, const std::string& relay, const std::string& expect,
                                 int deadline_ms = 3000) {
  return "name: t\ndeadline_ms: " + std::to_string(deadline_ms) + "\npeers:\n  - {name: alice, trust: " + trust +
         "}\n  - {name: bob, trust: " + trust + "}\nrelay: " + relay +
         "\nsessions:\n  - offerer: alice\n    answerer: bob\n    expect: " + expect +
         "\n    messages:\n      - {from: alice, text: hello bob}\n      - {from: bob, text: hello alice}\n"
         "      - {from: alice, text: \"co-sign tx 4f2a: 1 BTC to bob\"}\n";
}

inline bool has_event(const RunResult& r, const std::string& kind) {
  return std::any_of(r.timeline.begin(), r.timeline.end(), [&](const TimelineEvent& e) { return e.kind == kind; });
}

}  // namespace sigtrust::testing
