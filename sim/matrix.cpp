#include "sim/matrix.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/outcome.hpp"

namespace sigtrust {
namespace {

std::string where(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

bool known(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

}  // namespace

Result<MatrixExpectations> load_matrix_expectations(const std::string& path, const Vocabulary& vocab) {
  std::vector<std::string> attacks, trusts;
  for (const auto& a : vocab.attacks) attacks.push_back(a.name);
  for (const auto& t : vocab.trust) trusts.push_back(t.name);
  const auto& outcomes = expectable_outcome_names();
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Error{path + ":1:1: cannot read the matrix expectations"};
  } catch (const YAML::Exception& e) {
    return Error{where(path, e.mark) + "invalid YAML: " + e.msg};
  }
  if (!root.IsMap()) return Error{path + ":1:1: expected a mapping of attack names"};
  MatrixExpectations out;
  for (const auto& row : root) {
    const std::string attack = row.first.Scalar();
    if (!known(attacks, attack)) return Error{where(path, row.first.Mark()) + "unknown attack '" + attack + "'"};
    if (!row.second.IsMap())
      return Error{where(path, row.second.Mark()) + "expected a mapping of trust configurations"};
    for (const auto& cell : row.second) {
      const std::string trust = cell.first.Scalar();
      if (!known(trusts, trust))
        return Error{where(path, cell.first.Mark()) + "unknown trust configuration '" + trust + "'"};
      const YAML::Node& v = cell.second;
      if (!v.IsMap() || !v["expect"] || !v["why"] || v.size() != 2 || !v["expect"].IsScalar() || !v["why"].IsScalar())
        return Error{where(path, v.Mark()) + "expected {expect: <outcome>, why: <one line>}"};
      const std::string outcome = v["expect"].Scalar();
      if (!known(outcomes, outcome))
        return Error{where(path, v["expect"].Mark()) + "unknown outcome '" + outcome + "'"};
      if (out[attack].count(trust))
        return Error{where(path, cell.first.Mark()) + "duplicate cell " + attack + " × " + trust};
      out[attack][trust] = {outcome, v["why"].Scalar(),
                            scenario::Location{path, cell.first.Mark().line + 1, cell.first.Mark().column + 1}};
    }
  }
  return out;
}

scenario::Scenario matrix_cell(const std::string& attack, const std::string& trust, const CellExpectation& expected,
                               const Vocabulary& vocab) {
  scenario::Scenario s;
  s.name = attack + "/" + trust;
  s.description = expected.why;
  // Reports locate the cell at its entry in the expectations file.
  s.file = expected.where.file.empty() ? "matrix" : expected.where.file;
  s.deadline_ms = 5000;
  s.attack.name = attack;
  for (const auto& a : vocab.attacks)
    if (a.name == attack)
      for (const auto& p : a.params) s.attack.params[p.name] = p.default_value;
  AttackPosition position = AttackPosition::None;
  for (const auto& a : vocab.attacks)
    if (a.name == attack) position = a.position;
  for (const char* name : {"alice", "bob"}) {
    scenario::PeerSpec p;
    p.name = name;
    p.trust = {trust};
    // Put the peers where an attacker at that position can reach them: TURN
    // only (as behind strict NATs), or behind a NAT that only STUN explains.
    p.relay_only = position == AttackPosition::Turn;
    p.behind_nat = position == AttackPosition::Stun;
    for (const auto& t : vocab.trust)
      if (t.name == trust)
        for (const auto& param : t.params) p.trust_params[param.name] = param.default_value;
    s.peers.push_back(std::move(p));
  }
  auto session = [&](std::uint32_t round, bool attacked, const std::string& expect) {
    scenario::SessionSpec ss;
    ss.offerer = "alice";
    ss.answerer = "bob";
    ss.expect = expect;
    ss.round = round;
    ss.attacked = attacked;
    ss.out_of_band = true;  // the users can meet: what oob-fingerprint and sas need
    ss.where = expected.where;
    ss.messages = {{"alice", "hello bob"}, {"bob", "hello alice"}, {"alice", "please co-sign tx 4f2a: 1 BTC to bob"}};
    return ss;
  };
  // Key continuity needs a first contact the attacker did not touch.
  if (trust == "tofu" && attack != "none") s.sessions.push_back(session(0, false, "secure"));
  s.sessions.push_back(session(static_cast<std::uint32_t>(s.sessions.size()), true, expected.outcome));
  return s;
}

std::vector<RunResult> run_all(const std::vector<scenario::Scenario>& cells, unsigned jobs,
                               const EngineOptions& options, const std::function<void(size_t, size_t)>& progress) {
  std::vector<RunResult> results(cells.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t i = next++; i < cells.size(); i = next++) {
      results[i] = run_scenario(cells[i], options);
      const size_t d = ++done;
      if (progress) {
        std::lock_guard lock(progress_mu);
        progress(d, cells.size());
      }
    }
  };
  jobs = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(cells.size())));
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace sigtrust
