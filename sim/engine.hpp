// The engine: per run, builds a world on loopback (relay, peers, attacker),
// drives its main loop until every session settles or the deadline passes,
// and returns a RunResult with ground truth and classified outcomes.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sim/attack.hpp"
#include "net/certificate.hpp"
#include "sim/coturn.hpp"
#include "trust/signing_key.hpp"
#include "core/run_result.hpp"
#include "sim/scenario.hpp"

namespace sigtrust {

// Certificates per identity, made on first use and reused: a peer keeps its
// certificate across runs of one process (and certificate creation stays out
// of per-run timings). Thread-safe.
class CertificateStore {
 public:
  const Certificate& get(const std::string& identity);
  // The identity's long-term signing key (pinned-key), also made once.
  const SigningKey& long_term_key(const std::string& identity);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Certificate>> certs_;
  std::map<std::string, std::unique_ptr<SigningKey>> keys_;
};

using AttackFactory = std::function<std::unique_ptr<Attack>(const std::string& name, AttackWorld& world)>;

struct EngineOptions {
  AttackFactory make_attack;  // required when a scenario names an attack other than none
  CertificateStore* certificates = nullptr;  // shared store; a fresh one per run if null
  CoturnService* coturn = nullptr;  // shared coturn; one per run is started if null and needed
  const std::atomic<bool>* stop = nullptr;  // set (e.g. on SIGINT): runs end at once, marked interrupted
  std::function<void(const std::string&)> key_log;
  // Where a bridging attack writes the media it decrypts (a WAV or IVF file
  // per SSRC; `run --report-dir DIR` gives DIR/media); "" records none.
  std::string media_dir;
  // Called on the run's thread with the run's network ("127.a.b.0/24") before
  // anything of the run is bound (e.g. to start a capture).
  std::function<void(const std::string& network)> on_start;
  // Called on the run's thread when the run has ended, before the
  // world (and every socket of it) is torn down.
  std::function<void()> before_teardown;
};

// Runs one scenario. Never throws: simulator failures become RunResult::error.
RunResult run_scenario(const scenario::Scenario& s, const EngineOptions& options);

}  // namespace sigtrust
