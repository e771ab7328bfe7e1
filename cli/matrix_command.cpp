// `sigtrust matrix`: every attack against every trust configuration, checked
// against the expectations checked in (scenarios/matrix/expected.yaml).
#include "cli/matrix_command.hpp"

#include <boost/program_options.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "attacks/registry.hpp"
#include "cli/install_paths.hpp"
#include "cli/sharding.hpp"
#include "cli/outputs.hpp"
#include "reports/baseline.hpp"
#include "reports/json_report.hpp"
#include "reports/report_set.hpp"
#include "reports/terminal_report.hpp"
#include "sim/child_processes.hpp"
#include "core/digest.hpp"
#include "sim/matrix.hpp"

namespace sigtrust::cli {
namespace {

namespace po = boost::program_options;

std::string explain(const MatrixExpectations& expected, const std::vector<std::string>& attacks,
                    const std::vector<std::string>& trusts) {
  std::ostringstream out;
  out << "| attack | trust | expected | why |\n|---|---|---|---|\n";
  for (const auto& a : attacks) {
    auto row = expected.find(a);
    if (row == expected.end()) continue;
    for (const auto& key : row_cells(row->second, trusts)) {
      const auto& c = row->second.at(key);
      out << "| `" << a << "` | `" << key << "` | " << c.outcome << " | " << c.why << " |\n";
    }
  }
  return out.str();
}

}  // namespace

// The options of `matrix`, one struct so that more fit beside them.
struct MatrixOptions {
  std::string attacks_arg, trust_arg, json_path, report_dir, baseline_path, shard_arg;
  std::string expectations_path = matrix_expectations_path();
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  bool explain = false, quiet = false;
};

po::options_description matrix_options(MatrixOptions& o) {
  po::options_description opts("matrix options");
  opts.add_options()  //
      ("attacks", po::value(&o.attacks_arg), "comma-separated attack names (default: all)")  //
      ("trust", po::value(&o.trust_arg), "comma-separated trust configurations (default: all)")  //
      ("jobs,j", po::value(&o.jobs), "runs in parallel (default: the number of cores)")  //
      ("json", po::value(&o.json_path), "write the result document (one run per cell)")  //
      ("report-dir", po::value(&o.report_dir), "write every report format of the result here")  //
      ("baseline", po::value(&o.baseline_path),
       "an earlier matrix result document: mark each cell new/unchanged/updated and print only the changes")  //
      ("expectations", po::value(&o.expectations_path),
       "the expected outcome of every cell (YAML; default scenarios/matrix/expected.yaml)")  //
      ("shard", po::value(&o.shard_arg), "run only shard K/N of the cells (K counted from 1), or auto (docs/ci.md)")  //
      ("explain", po::bool_switch(&o.explain),
       "print the expectations with their reasons as a Markdown table, run nothing")  //
      ("quiet,q", po::bool_switch(&o.quiet), "print nothing when every cell meets its expectation");
  return opts;
}

namespace {

// The cells asked for: every attack × trust configuration named (checked
// against the vocabulary), each with its expectation, and the shard of them
// this process runs.
struct MatrixPlan {
  std::vector<std::string> attacks, trusts;
  std::vector<std::string> cells;  // "attack/trust", every cell of the split
  std::vector<std::size_t> chosen;  // indices into cells this shard runs
  std::vector<scenario::Scenario> scenarios;  // the chosen cells, ready to run
  std::string digest;  // SHA-256 of the expectations file
};

std::vector<std::string> select_names(const std::string& arg, const std::vector<std::string>& all, const char* what) {
  if (arg.empty()) return all;
  auto chosen = split_list(arg);
  for (const auto& c : chosen)
    if (std::find(all.begin(), all.end(), c) == all.end())
      throw UsageError(
          std::string("unknown ") + what + " '" + c + "'" +
          (scenario::nearest_name(c, all).empty() ? "" : "; did you mean '" + scenario::nearest_name(c, all) + "'?"));
  return chosen;
}

// Every cell is checked to have an expectation before a shard is taken, so
// every shard of a split refuses the same bad file. Returns false (with the
// reason on stderr, exit 2) if the expectations do not cover the cells.
bool plan_cells(MatrixPlan& plan, const MatrixExpectations& expected, const MatrixOptions& o,
                const std::optional<Shard>& shard, const Vocabulary& vocab) {
  // A column's variants (e.g. sas(bits=8)) run after it when the column is chosen.
  std::vector<std::pair<std::string, std::string>> keyed;  // attack, cell key
  for (const auto& a : plan.attacks) {
    auto row = expected.find(a);
    for (const auto& t : plan.trusts)
      if (row == expected.end() || !row->second.count(t)) {
        std::cerr << o.expectations_path << ":1:1: no expectation for the cell " << a << " × " << t << "\n";
        return false;
      }
    for (const auto& key : row_cells(row->second, plan.trusts)) {
      plan.cells.push_back(a + "/" + key);
      keyed.emplace_back(a, key);
    }
  }
  plan.chosen = cells_to_run(plan.cells, shard);
  for (const auto i : plan.chosen) {
    const auto& [a, key] = keyed[i];
    plan.scenarios.push_back(matrix_cell(a, key, expected.at(a).at(key), vocab));
  }
  const auto digest = sha256_of_file(o.expectations_path);
  if (!digest) {
    std::cerr << "sigtrust: " << digest.error().message << "\n";
    return false;
  }
  plan.digest = *digest;
  return true;
}

// Runs the cells on `jobs` threads, a counter on a terminal.
std::vector<RunResult> run_cells(const MatrixPlan& plan, unsigned jobs, const std::atomic<bool>* stop) {
  CertificateStore certs;
  EngineOptions options;
  options.make_attack = &attacks::make_attack;
  options.certificates = &certs;
  CoturnService coturn;  // one coturn for every run that needs it, stopped when we return
  options.coturn = &coturn;
  options.stop = stop;
  const bool tty = isatty(STDERR_FILENO);
  auto results = run_all(plan.scenarios, jobs, options, [tty](size_t done, size_t total) {
    if (tty) std::fprintf(stderr, "\r%zu/%zu cells", done, total);
  });
  if (tty) std::fprintf(stderr, "\r\033[K");
  return results;
}

void print_matrix_summary(const nlohmann::json& doc, const nlohmann::json& baseline, const MatrixPlan& plan,
                          const std::optional<Shard>& shard, bool failed) {
  reports::TerminalStyle style;
  style.colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  if (!baseline.is_null()) std::cout << baseline_summary(baseline, doc);
  else std::cout << reports::terminal_matrix(doc, style);
  if (shard) std::cout << "shard " << shard->index << "/" << shard->total << " of " << plan.cells.size() << " cells: ";
  std::cout << plan.scenarios.size() << " cell(s), " << doc["summary"]["expectations_failed"].get<int>()
            << " expectation(s) failed" << (failed ? " (marked !)" : "") << "\n";
}

}  // namespace

int matrix_command(const std::vector<std::string>& argv, const std::atomic<bool>* stop) {
  MatrixOptions o;
  const auto opts = matrix_options(o);
  if (!parse("matrix", argv, opts)) return 0;
  if (o.jobs == 0) throw UsageError("--jobs must be at least 1");

  const Vocabulary vocab = attacks::vocabulary();
  std::vector<std::string> all_attacks, all_trust;
  // A declarative attack does nothing without the rules of a scenario file: no matrix cell.
  for (const auto& a : vocab.attacks)
    if (!a.declarative) all_attacks.push_back(a.name);
  for (const auto& t : vocab.trust) all_trust.push_back(t.name);
  for (const auto& c : split_list(o.attacks_arg))
    for (const auto& a : vocab.attacks)
      if (a.declarative && a.name == c)
        throw UsageError("attack '" + c +
                         "' has no matrix cells: its rules come from a scenario file (sigtrust run FILE)");
  MatrixPlan plan;
  plan.attacks = select_names(o.attacks_arg, all_attacks, "attack");
  plan.trusts = select_names(o.trust_arg, all_trust, "trust configuration");
  const auto shard = shard_option(o.shard_arg);

  auto expected = load_matrix_expectations(o.expectations_path, vocab);
  if (!expected) {
    std::cerr << expected.error().message << "\n";
    return 2;
  }
  if (o.explain) {
    std::cout << explain(*expected, plan.attacks, plan.trusts);
    return 0;
  }
  if (!plan_cells(plan, *expected, o, shard, vocab)) return 2;

  // Outputs that could not be written are bad usage, found before the cells run.
  check_output_file(o.json_path, "--json");
  check_output_dir(o.report_dir, "--report-dir");
  const nlohmann::json baseline = load_baseline(o.baseline_path);

  const auto results = run_cells(plan, o.jobs, stop);
  auto doc = reports::result_document(results);
  add_headers(doc, plan.cells, plan.chosen, shard, "matrix", {{"file", o.expectations_path}, {"sha256", plan.digest}});
  const bool interrupted =
      std::any_of(results.begin(), results.end(), [](const RunResult& r) { return r.interrupted; });
  if (interrupted) add_interruption(doc, stop_signal() ? stop_signal() : SIGINT);
  doc["created"] = reports::utc_timestamp();
  if (!baseline.is_null()) reports::apply_baseline(doc, baseline);
  // Attacker-controlled text may be invalid UTF-8: the JSON renderer replaces it rather than throwing.
  if (!write_outputs(doc, o.json_path, o.report_dir)) return 3;
  const bool errors = std::any_of(results.begin(), results.end(), [](const RunResult& r) { return !r.error.empty(); });
  const bool failed = !std::all_of(results.begin(), results.end(), all_passed);
  if (!o.quiet || failed || errors) print_matrix_summary(doc, baseline, plan, shard, failed);
  // Interrupted (SIGINT/SIGTERM): what was done is written above; 128 + the signal.
  return exit_status(results, stop_signal() ? stop_signal() : SIGINT);
}

}  // namespace sigtrust::cli
