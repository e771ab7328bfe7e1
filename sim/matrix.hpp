// The attack × trust matrix: every attack against every trust configuration
// (both peers configured alike), each cell a generated scenario checked
// against the expectation checked in for it. This is the CI regression suite
// of security properties.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine.hpp"
#include "core/params.hpp"
#include "core/result.hpp"
#include "sim/scenario.hpp"

namespace sigtrust {

struct CellExpectation {
  std::string outcome;  // an expectable outcome name
  std::string why;  // one line
  scenario::Location where = {};  // the cell's entry in the expectations file (reports point at it)
  // A cell is a trust configuration (a column) or a variant of one, keyed
  // "sas(bits=8)": the configuration with some parameters set (both peers),
  // and, in `attack`, parameters of the row's attack set too. Unset
  // parameters keep their declared defaults.
  std::string trust;  // the column's stable name (for a plain column, the key itself)
  ParamValues trust_params, attack_params;
};

// attack -> cell key (a trust configuration, or a variant "trust(k=v,…)") -> expectation
using MatrixExpectations = std::map<std::string, std::map<std::string, CellExpectation>>;

// Loads the expectations file (YAML: attack: {trust: {expect: outcome, why: text}}, and
// variants: attack: {"trust(k=v,…)": {expect: …, why: …, attack: {k: v}}}).
// Rejections are located (file:line:column) like scenario files.
Result<MatrixExpectations> load_matrix_expectations(const std::string& path, const Vocabulary& vocab);

// The cells of one row for the chosen columns, in the order they are run and
// shown: each column, then its variants in the order of the file. Columns
// the row has no expectation for are left out (the caller checks coverage).
std::vector<std::string> row_cells(const std::map<std::string, CellExpectation>& row,
                                   const std::vector<std::string>& trusts);

// The scenario of one cell (`key` a trust configuration or a variant). tofu
// cells run an honest first session (the relay leaves it alone) and then the
// attacked one; the attacked session is always the run's last, and its
// outcome is the cell's.
scenario::Scenario matrix_cell(const std::string& attack, const std::string& key, const CellExpectation& expected,
                               const Vocabulary& vocab);

// Runs `cells` on `jobs` threads (each run has its own main context), in
// order of the input; `progress` (optional) is called after each run.
std::vector<RunResult> run_all(const std::vector<scenario::Scenario>& cells, unsigned jobs,
                               const EngineOptions& options,
                               const std::function<void(size_t done, size_t total)>& progress = {});

}  // namespace sigtrust
