// The `sigtrust` command. Exit status (DESIGN.md): 0 all expectations met;
// 1 an expectation failed; 2 bad input or usage; 3 the simulator failed.
#include <boost/program_options.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include "attacks/registry.hpp"
#include "cli/install_paths.hpp"
#include "cli/matrix_command.hpp"
#include "cli/merge_command.hpp"
#include "cli/outputs.hpp"
#include "cli/relay_command.hpp"
#include "cli/sharding.hpp"
#include "reports/capture.hpp"
#include "reports/json_report.hpp"
#include "reports/progress_bar.hpp"
#include "reports/report_set.hpp"
#include "reports/result_view.hpp"
#include "reports/terminal_report.hpp"
#include "sim/child_processes.hpp"
#include "sim/engine.hpp"
#include "sim/isolation.hpp"
#include "sim/scenario.hpp"
#include "sim/trust_policy.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace sigtrust;

namespace {

constexpr int kOk = 0, kExpectationFailed = 1, kUsage = 2, kSimulatorFailed = 3;

const char* kUsageText =
    "usage: sigtrust <command> [options]\n"
    "\n"
    "commands:\n"
    "  run FILE...            run scenario files and check their expected outcomes\n"
    "      [--json FILE] [--key-log FILE] [--report-dir DIR] [--capture FILE] [-v] [-q]\n"
    "      [--shard K/N|auto]\n"
    "  report RESULT.json [--format terminal|markdown|html|junit|sarif|json]\n"
    "                         render a saved result document again, without running\n"
    "  report merge A.json B.json... [--json FILE] [--report-dir DIR] [-q]\n"
    "                         join the result documents of shards into one\n"
    "  matrix [--attacks A,B] [--trust X,Y] [--jobs N] [--json FILE] [--explain]\n"
    "         [--shard K/N|auto]\n"
    "                         every attack against every trust configuration, checked\n"
    "                         against scenarios/matrix/expected.yaml\n"
    "  relay [--listen 127.0.0.1:PORT] [--attack NAME] [--rewrite FROM=TO] [--json FILE]\n"
    "        [--report-dir DIR] [--key-log FILE] [--duration S] [-q]\n"
    "                         serve real browsers (demo page at /) until SIGINT/SIGTERM,\n"
    "                         then write one session per room; stays on the host's loopback\n"
    "  list attacks|trust|scenarios\n"
    "                         list the stable names (and parameters) this build knows\n"
    "  doctor                 show the network a run would see (after isolation)\n"
    "  help                   this text\n"
    "  --version              the version of this sigtrust\n"
    "\n"
    "--shard K/N runs shard K of N (counted from 1) of the files or cells; auto takes\n"
    "K and N from GitLab (CI_NODE_INDEX, CI_NODE_TOTAL) or a Kubernetes Indexed Job\n"
    "(JOB_COMPLETION_INDEX, SIGTRUST_SHARDS).\n"
    "\n"
    "run, matrix and doctor enter a private user+network namespace holding only lo;\n"
    "--no-isolate (or SIGTRUST_NO_ISOLATE=1) keeps the host's loopback instead.\n"
    "\n"
    "exit status: 0 all expectations met, 1 an expectation failed, 2 bad input or usage,\n"
    "             3 the simulator itself failed\n";

using cli::UsageError;

// Set by the stop watcher on SIGINT/SIGTERM.
std::atomic<bool> g_stop{false};

using cli::catalogue_dir;

std::string type_name(const ParamDecl& p) {
  switch (p.type) {
    case ParamDecl::Type::String: return "string";
    case ParamDecl::Type::Int: return "int";
    case ParamDecl::Type::Double: return "number";
    case ParamDecl::Type::Bool: return "bool";
    case ParamDecl::Type::Choice: {
      std::string s;
      for (const auto& c : p.choices) s += (s.empty() ? "" : "|") + c;
      return s;
    }
  }
  return "?";
}

int cmd_list(const std::vector<std::string>& args) {
  if (args.size() != 1) throw UsageError("list takes one of: attacks, trust, scenarios");
  const auto& what = args[0];
  if (what == "attacks") {
    for (const auto& p : attacks::registry()) {
      std::printf("%-20s %-10s %s\n", p.decl.name.c_str(), p.decl.position.c_str(), p.decl.summary.c_str());
      for (const auto& param : p.decl.params)
        std::printf("    %s (%s, default %s): %s\n", param.name.c_str(), type_name(param).c_str(),
                    param.default_value.c_str(), param.help.c_str());
    }
  } else if (what == "trust") {
    for (const auto& t : trust_configurations()) std::printf("%-22s %s\n", t.name.c_str(), t.summary.c_str());
  } else if (what == "scenarios") {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(catalogue_dir(), ec))
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    if (ec) throw UsageError("cannot read the scenario catalogue " + catalogue_dir() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    const auto vocab = attacks::vocabulary();
    for (const auto& f : files) {
      auto s = scenario::load_file(f.string(), vocab);
      if (!s) {
        std::printf("%-28s (invalid: %s)\n", f.filename().c_str(), s.error().message.c_str());
        continue;
      }
      std::printf("%-32s %-18s %s\n", f.filename().c_str(), s->attack.name.c_str(), s->description.c_str());
    }
  } else {
    throw UsageError("unknown list '" + what + "'; expected attacks, trust or scenarios");
  }
  return kOk;
}

int cmd_run(const std::vector<std::string>& argv) {
  po::options_description opts("run options");
  std::string json_path, key_log_path, report_dir, capture_path, shard_arg;
  opts.add_options()                                                                         //
      ("json", po::value(&json_path), "write the result document (JSON) to this file")      //
      ("key-log", po::value(&key_log_path), "write DTLS secrets (NSS key log format) here")  //
      ("report-dir", po::value(&report_dir), "write every report, the capture and the key log here")  //
      ("capture", po::value(&capture_path), "write a pcap of every packet the runs sent here")  //
      ("verbose,v", "print each run's timeline")                                           //
      ("quiet,q", "print nothing on success")                                               //
      ("shard", po::value(&shard_arg), "run only shard K/N of the files (K counted from 1), or auto")  //
      ("file", po::value<std::vector<std::string>>(), "scenario files");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  if (!vm.count("file")) throw UsageError("run needs at least one scenario file");

  // Load and validate everything before running anything (exit 2 on bad input).
  const auto vocab = attacks::vocabulary();
  std::vector<scenario::Scenario> scenarios;
  bool bad = false;
  for (const auto& f : vm["file"].as<std::vector<std::string>>()) {
    auto s = scenario::load_file(f, vocab);
    if (!s) {
      std::cerr << s.error().message << "\n";
      bad = true;
      continue;
    }
    scenarios.push_back(std::move(*s));
  }
  if (bad) return kUsage;
  const auto shard = cli::shard_option(shard_arg);
  const auto& files = vm["file"].as<std::vector<std::string>>();
  // Every file counts towards the split: the shards of one split share one
  // plan and one expectations header.
  const auto plan = cli::file_plan(files, shard.has_value());
  const auto chosen = cli::cells_to_run(plan.cells, shard);
  {
    std::vector<scenario::Scenario> mine;
    for (const auto i : chosen) mine.push_back(std::move(scenarios[i]));
    scenarios = std::move(mine);
  }

  cli::KeyLogs key_logs(key_log_path, report_dir);
  if (!report_dir.empty() && capture_path.empty()) capture_path = (fs::path(report_dir) / "capture.pcap").string();
  EngineOptions options;
  options.make_attack = &attacks::make_attack;
  CertificateStore certs;
  options.certificates = &certs;
  CoturnService coturn;  // one coturn for every run that needs it, stopped when we return
  options.coturn = &coturn;
  options.stop = &g_stop;
  if (key_logs.active()) options.key_log = [&](const std::string& line) { key_logs.write(line); };
  std::unique_ptr<reports::Capture> capture;
  bool capture_warned = false;
  if (!capture_path.empty()) {
    capture = std::make_unique<reports::Capture>(capture_path);
    options.on_start = [&](const std::string& network) {
      const std::string why = capture->start(network);
      if (!why.empty() && !capture_warned) {
        std::cerr << "sigtrust: warning: no packet capture (" << why << "); writing everything else\n";
        capture_warned = true;
      }
    };
  }

  std::vector<RunResult> results;
  {
    reports::ProgressBar progress(scenarios.size(), isatty(STDERR_FILENO));
    for (const auto& s : scenarios) {
      progress.update(results.size(), s.name);
      results.push_back(run_scenario(s, options));
      // The run's last packets (closing the WebSocket) leave during teardown.
      if (capture) capture->stop(results.back().network);
    }
  }
  capture.reset();  // closes the pcap file

  auto doc = reports::result_document(results);
  doc["created"] = reports::utc_timestamp();
  cli::add_headers(doc, plan.cells, chosen, shard, "run", plan.expectations);
  const bool interrupted = std::any_of(results.begin(), results.end(), [](const RunResult& r) { return r.interrupted; });
  if (interrupted) cli::add_interruption(doc, stop_signal() ? stop_signal() : SIGINT);
  if (!cli::write_outputs(doc, json_path, report_dir)) return kSimulatorFailed;
  const bool errors = std::any_of(results.begin(), results.end(), [](const RunResult& r) { return !r.error.empty(); });
  const bool failed = !std::all_of(results.begin(), results.end(), all_passed);
  if (!vm.count("quiet") || failed || errors) {
    reports::TerminalStyle style;
    style.colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
    style.verbose = vm.count("verbose") > 0;
    if (shard)
      std::cout << "shard " << shard->index << "/" << shard->total << ": " << chosen.size() << " of " << files.size()
                << " file(s)\n";
    std::cout << reports::terminal_summary(doc, style);
  }
  // Interrupted (SIGINT/SIGTERM): what was done is written above; 128 + the signal.
  if (interrupted) return 128 + (stop_signal() ? stop_signal() : SIGINT);
  if (errors) return kSimulatorFailed;
  return failed ? kExpectationFailed : kOk;
}

// `sigtrust report RESULT.json --format F`: any report again from a saved
// result document, nothing run. The exit status is the document's: 0 all
// expectations met, 1 one failed, 3 a run had a simulator error; 2 when the
// document cannot be read.
int cmd_report(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv.front() == "merge") return cli::merge_command({argv.begin() + 1, argv.end()});
  po::options_description opts("report options");
  std::string format_name = "terminal";
  opts.add_options()                                                                                  //
      ("format,f", po::value(&format_name), "terminal, markdown (md), html, junit, sarif or json")  //
      ("verbose,v", "terminal: print each run's timeline")                                          //
      ("file", po::value<std::vector<std::string>>(), "the result document");
  po::positional_options_description pos;
  pos.add("file", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argv).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  if (!vm.count("file") || vm["file"].as<std::vector<std::string>>().size() != 1)
    throw UsageError("report needs exactly one result document (the JSON that run --json wrote)");
  const auto format = reports::parse_format(format_name);
  if (!format) throw UsageError("unknown format '" + format_name + "'; expected " + reports::format_names());
  const auto doc = reports::load_document(vm["file"].as<std::vector<std::string>>().front());
  if (!doc) {
    std::cerr << "sigtrust: " << doc.error().message << "\n";
    return kUsage;
  }
  reports::TerminalStyle style;
  style.colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  style.verbose = vm.count("verbose") > 0;
  std::cout << reports::render(*format, *doc, style);
  const auto totals = reports::totals(*doc);
  if (totals.errors) return kSimulatorFailed;
  return totals.failed ? kExpectationFailed : kOk;
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT/SIGTERM are taken by a watcher thread (started after isolation,
  // which needs a single-threaded process): children die at once, runs stop,
  // partial results are written. On SIGKILL children die by PR_SET_PDEATHSIG.
  block_stop_signals();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsageText;
    return kUsage;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  // Runs happen in a private network namespace unless asked not to (or impossible).
  bool isolate = !std::getenv("SIGTRUST_NO_ISOLATE");
  if (auto it = std::find(args.begin(), args.end(), "--no-isolate"); it != args.end()) {
    isolate = false;
    args.erase(it);
  }
  if (cmd == "run" || cmd == "matrix" || cmd == "doctor") {
    if (isolate) {
      const auto iso = enter_private_network();
      if (!iso.isolated)
        std::cerr << "sigtrust: note: no private network namespace (" << iso.why_not
                  << "); runs use the host's loopback, each in its own 127.a.b.0/24\n";
    }
  }
  start_stop_watcher(g_stop);
  try {
    if (cmd == "doctor") {
      std::cout << "isolation: " << (isolate ? "requested" : "off (--no-isolate)") << "\n"
                << "network interfaces visible: " << visible_interfaces() << "\n"
                << "scenario catalogue: " << catalogue_dir() << "\n";
      return kOk;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::cout << kUsageText;
      return kOk;
    }
    if (cmd == "--version") {
      std::cout << "sigtrust " << SIGTRUST_VERSION << "\n";
      return kOk;
    }
    if (cmd == "run") return cmd_run(args);
    if (cmd == "list") return cmd_list(args);
    if (cmd == "report") return cmd_report(args);
    if (cmd == "matrix") return cli::matrix_command(args, &g_stop);
    if (cmd == "relay") return cli::relay_command(args, &g_stop);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const UsageError& e) {
    std::cerr << "sigtrust: " << e.what() << "\n\n" << kUsageText;
    return kUsage;
  } catch (const po::error& e) {
    std::cerr << "sigtrust: " << e.what() << "\n\n" << kUsageText;
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "sigtrust: internal failure: " << e.what() << "\n";
    return kSimulatorFailed;
  }
}
