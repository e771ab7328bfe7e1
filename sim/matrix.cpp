#include "sim/matrix.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <sstream>
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

// Why `value` is not a value of the declared parameter (empty when it is).
std::string param_error(const ParamDecl& p, const std::string& value) {
  const bool bounded = p.min != p.max;
  const std::string range = bounded ? " from " + std::to_string(static_cast<long long>(p.min)) + " to " +
                                          std::to_string(static_cast<long long>(p.max))
                                    : "";
  switch (p.type) {
    case ParamDecl::Type::String: return "";
    case ParamDecl::Type::Choice:
      if (known(p.choices, value)) return "";
      return "parameter '" + p.name + "' must be one of its choices, got '" + value + "'";
    case ParamDecl::Type::Bool:
      return value == "true" || value == "false" ? "" : "parameter '" + p.name + "' must be true or false";
    case ParamDecl::Type::Int:
    case ParamDecl::Type::Double: {
      char* end = nullptr;
      const double d = std::strtod(value.c_str(), &end);
      const bool integral = value.find_first_not_of("-0123456789") == std::string::npos;
      if (value.empty() || *end != '\0' || !std::isfinite(d) || (p.type == ParamDecl::Type::Int && !integral) ||
          (bounded && (d < p.min || d > p.max)))
        return "parameter '" + p.name + "' must be " + (p.type == ParamDecl::Type::Int ? "an integer" : "a number") +
               range + ", got '" + value + "'";
      return "";
    }
  }
  return "unsupported type of parameter '" + p.name + "'";
}

// Checks `values` against `decls` ("of the trust configuration 'sas'" names them in errors).
std::string params_error(const std::vector<ParamDecl>& decls, const ParamValues& values, const std::string& of) {
  for (const auto& [name, value] : values) {
    const auto it = std::find_if(decls.begin(), decls.end(), [&n = name](const ParamDecl& d) { return d.name == n; });
    if (it == decls.end()) return "unknown parameter '" + name + "' " + of;
    if (auto e = param_error(*it, value); !e.empty()) return e + " (" + of + ")";
  }
  return "";
}

// "sas(bits=8,miss-rate=0)" -> {"sas", {bits: 8, miss-rate: 0}}; "sas" -> {"sas", {}}.
std::optional<std::pair<std::string, ParamValues>> parse_cell_key(const std::string& key) {
  const auto open = key.find('(');
  if (open == std::string::npos) return std::pair{key, ParamValues{}};
  if (open == 0 || key.back() != ')') return std::nullopt;
  ParamValues params;
  std::stringstream list(key.substr(open + 1, key.size() - open - 2));
  for (std::string item; std::getline(list, item, ',');) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size() || params.count(item.substr(0, eq)))
      return std::nullopt;
    params[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (params.empty()) return std::nullopt;
  return std::pair{key.substr(0, open), std::move(params)};
}

}  // namespace

Result<MatrixExpectations> load_matrix_expectations(const std::string& path, const Vocabulary& vocab) {
  std::vector<std::string> attacks, trusts;
  for (const auto& a : vocab.attacks)
    if (!a.declarative) attacks.push_back(a.name);  // sdp-rules needs a scenario file's rules
  for (const auto& t : vocab.trust) trusts.push_back(t.name);
  auto attack_decl = [&](const std::string& name) {
    return *std::find_if(vocab.attacks.begin(), vocab.attacks.end(),
                         [&](const AttackDecl& a) { return a.name == name; });
  };
  auto trust_decl = [&](const std::string& name) {
    return *std::find_if(vocab.trust.begin(), vocab.trust.end(), [&](const TrustDecl& t) { return t.name == name; });
  };
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
      const std::string key = cell.first.Scalar();
      const auto parsed = parse_cell_key(key);
      if (!parsed)
        return Error{where(path, cell.first.Mark()) +
                     "expected a trust configuration or a variant trust(name=value,…)"};
      const auto& [trust, trust_params] = *parsed;
      if (!known(trusts, trust))
        return Error{where(path, cell.first.Mark()) + "unknown trust configuration '" + trust + "'"};
      if (auto e = params_error(trust_decl(trust).params, trust_params, "of the trust configuration '" + trust + "'");
          !e.empty())
        return Error{where(path, cell.first.Mark()) + e};
      const YAML::Node& v = cell.second;
      const bool variant = !trust_params.empty();
      // Only a variant may set the attack's parameters: a plain column runs the declared defaults.
      const size_t fields = 2 + (variant && v.IsMap() && v["attack"] ? 1 : 0);
      if (!v.IsMap() || !v["expect"] || !v["why"] || v.size() != fields || !v["expect"].IsScalar() ||
          !v["why"].IsScalar())
        return Error{where(path, v.Mark()) + (variant ? "expected {expect: <outcome>, why: <one line>[, attack: {…}]}"
                                                      : "expected {expect: <outcome>, why: <one line>}")};
      const std::string outcome = v["expect"].Scalar();
      if (!known(outcomes, outcome))
        return Error{where(path, v["expect"].Mark()) + "unknown outcome '" + outcome + "'"};
      ParamValues attack_params;
      if (v["attack"]) {
        if (!v["attack"].IsMap())
          return Error{where(path, v["attack"].Mark()) + "expected a mapping of the attack's parameters"};
        for (const auto& p : v["attack"]) {
          if (!p.second.IsScalar()) return Error{where(path, p.second.Mark()) + "expected a parameter value"};
          attack_params[p.first.Scalar()] = p.second.Scalar();
        }
        if (auto e = params_error(attack_decl(attack).params, attack_params, "of the attack '" + attack + "'");
            !e.empty())
          return Error{where(path, v["attack"].Mark()) + e};
      }
      if (out[attack].count(key))
        return Error{where(path, cell.first.Mark()) + "duplicate cell " + attack + " × " + key};
      out[attack][key] = {outcome,
                          v["why"].Scalar(),
                          scenario::Location{path, cell.first.Mark().line + 1, cell.first.Mark().column + 1},
                          trust,
                          trust_params,
                          std::move(attack_params)};
    }
  }
  return out;
}

std::vector<std::string> row_cells(const std::map<std::string, CellExpectation>& row,
                                   const std::vector<std::string>& trusts) {
  std::vector<std::string> out;
  for (const auto& t : trusts) {
    if (row.count(t)) out.push_back(t);
    std::vector<std::pair<const std::string*, const CellExpectation*>> variants;
    for (const auto& [key, c] : row)
      if (key != t && c.trust == t) variants.emplace_back(&key, &c);
    std::sort(variants.begin(), variants.end(), [](const auto& a, const auto& b) {
      return std::pair{a.second->where.line, a.second->where.column} <
             std::pair{b.second->where.line, b.second->where.column};
    });
    for (const auto& v : variants) out.push_back(*v.first);
  }
  return out;
}

scenario::Scenario matrix_cell(const std::string& attack, const std::string& key, const CellExpectation& expected,
                               const Vocabulary& vocab) {
  const std::string& trust = expected.trust.empty() ? key : expected.trust;
  scenario::Scenario s;
  s.name = attack + "/" + key;
  s.description = expected.why;
  // Reports locate the cell at its entry in the expectations file.
  s.file = expected.where.file.empty() ? "matrix" : expected.where.file;
  s.deadline_ms = 5000;
  s.attack.name = attack;
  for (const auto& a : vocab.attacks)
    if (a.name == attack)
      for (const auto& p : a.params) s.attack.params[p.name] = p.default_value;
  for (const auto& [name, value] : expected.attack_params) s.attack.params[name] = value;
  // A key-share grind makes up to `budget` DTLS tries before the session goes
  // on: such a cell gets scenarios/sas-grind.yaml's 20 s (5 s was hit by the
  // 4096-try cell under a load of 14 on two cores).
  if (const auto budget = s.attack.params.find("budget"); budget != s.attack.params.end() && budget->second != "0")
    s.deadline_ms = 20000;
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
    for (const auto& [param, value] : expected.trust_params) p.trust_params[param] = value;
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
