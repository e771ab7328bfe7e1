// The `sigtrust` command. Exit status (docs/architecture.md): 0 all expectations met;
// 1 an expectation failed; 2 bad input or usage; 3 the simulator failed.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "attacks/registry.hpp"
#include "cli/install_paths.hpp"
#include "cli/command.hpp"
#include "cli/interop_command.hpp"
#include "cli/matrix_command.hpp"
#include "cli/merge_command.hpp"
#include "cli/outputs.hpp"
#include "cli/relay_command.hpp"
#include "cli/sharding.hpp"
#include "reports/baseline.hpp"
#include "reports/capture.hpp"
#include "reports/interop_view.hpp"
#include "reports/json_report.hpp"
#include "reports/progress_bar.hpp"
#include "reports/report_set.hpp"
#include "reports/result_view.hpp"
#include "reports/terminal_report.hpp"
#include "sim/child_processes.hpp"
#include "sim/engine.hpp"
#include "sim/isolation.hpp"
#include "sim/scenario.hpp"
#include "trust/trust_policy.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace sigtrust;
using nlohmann::json;

namespace {

constexpr int kOk = 0, kExpectationFailed = 1, kUsage = 2, kSimulatorFailed = 3;

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

json params_json(const std::vector<ParamDecl>& params) {
  json out = json::array();
  for (const auto& p : params) {
    json j{{"name", p.name}, {"type", type_name(p)}, {"default", p.default_value}, {"help", p.help}};
    if (p.min != p.max) j["range"] = {p.min, p.max};
    out.push_back(std::move(j));
  }
  return out;
}

void print_params(const std::vector<ParamDecl>& params) {
  for (const auto& param : params)
    std::printf("    %s (%s, default %s): %s\n", param.name.c_str(), type_name(param).c_str(),
                param.default_value.c_str(), param.help.c_str());
}

std::vector<fs::path> catalogue_files() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(catalogue_dir(), ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  if (ec) throw UsageError("cannot read the scenario catalogue " + catalogue_dir() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// A scenario argument: a file, or the name of one in the catalogue
// ("swap-mitm" or "swap-mitm.yaml", as `sigtrust list scenarios` shows it).
std::string resolve_scenario(const std::string& arg) {
  std::error_code ec;
  if (fs::exists(arg, ec) || arg.find('/') != std::string::npos) return arg;
  for (const std::string& candidate : {arg, arg + ".yaml"}) {
    const fs::path p = fs::path(catalogue_dir()) / candidate;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return arg;
}

int cmd_list(const std::vector<std::string>& argv) {
  po::options_description opts("list options");
  opts.add_options()  //
      ("json", "print a JSON array instead of text")  //
      ("what", po::value<std::vector<std::string>>(), "attacks, trust or scenarios");
  po::positional_options_description pos;
  pos.add("what", -1);
  const auto vm = cli::parse("list", argv, opts, &pos);
  if (!vm) return kOk;
  const auto args = vm->count("what") ? (*vm)["what"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (args.size() != 1) throw UsageError("list takes one of: attacks, trust, scenarios");
  const bool as_json = vm->count("json") > 0;
  const auto& what = args[0];
  json out = json::array();
  if (what == "attacks") {
    for (const auto& p : attacks::registry()) {
      if (as_json) {
        out.push_back({{"name", p.decl.name},
                       {"position", std::string(to_string(p.decl.position))},
                       {"summary", p.decl.summary},
                       {"bridges", p.decl.bridges},
                       {"declarative", p.decl.declarative},
                       {"params", params_json(p.decl.params)}});
        continue;
      }
      std::printf("%-20s %-10s %s\n", p.decl.name.c_str(), std::string(to_string(p.decl.position)).c_str(),
                  p.decl.summary.c_str());
      print_params(p.decl.params);
    }
  } else if (what == "trust") {
    for (const auto& t : trust_configurations()) {
      if (as_json) {
        out.push_back({{"name", t.name},
                       {"summary", t.summary},
                       {"needs_out_of_band", t.needs_out_of_band},
                       {"params", params_json(t.params)}});
        continue;
      }
      std::printf("%-22s %s\n", t.name.c_str(), t.summary.c_str());
      print_params(t.params);
    }
  } else if (what == "scenarios") {
    const auto vocab = attacks::vocabulary();
    for (const auto& f : catalogue_files()) {
      auto s = scenario::load_file(f.string(), vocab);
      if (as_json) {
        json j{{"name", f.stem().string()}, {"file", f.string()}};
        if (s) {
          j["scenario"] = s->name;
          j["attack"] = s->attack.name;
          j["description"] = s->description;
        } else {
          j["invalid"] = s.error().message;
        }
        out.push_back(std::move(j));
        continue;
      }
      if (!s) {
        std::printf("%-28s (invalid: %s)\n", f.stem().c_str(), s.error().message.c_str());
        continue;
      }
      std::printf("%-28s %-18s %s\n", f.stem().c_str(), s->attack.name.c_str(), s->description.c_str());
    }
  } else {
    throw UsageError("unknown list '" + what + "'; expected attacks, trust or scenarios");
  }
  if (as_json) std::cout << out.dump(2) << "\n";
  return kOk;
}

// Loads every scenario (files or catalogue names) before anything runs;
// each bad one is reported with file:line:column. False if any was bad.
bool load_scenarios(const std::vector<std::string>& args, std::vector<scenario::Scenario>& out) {
  const auto vocab = attacks::vocabulary();
  bool bad = false;
  for (const auto& a : args) {
    auto s = scenario::load_file(resolve_scenario(a), vocab);
    if (!s) {
      std::cerr << s.error().message << "\n";
      bad = true;
      continue;
    }
    out.push_back(std::move(*s));
  }
  return !bad;
}

// `sigtrust validate FILE|NAME...`: what `run` checks before it runs, and nothing run.
int cmd_validate(const std::vector<std::string>& argv) {
  po::options_description opts("validate options");
  opts.add_options()("file", po::value<std::vector<std::string>>(), "scenario files or catalogue names");
  po::positional_options_description pos;
  pos.add("file", -1);
  const auto vm = cli::parse("validate", argv, opts, &pos);
  if (!vm) return kOk;
  if (!vm->count("file")) throw UsageError("validate needs at least one scenario file");
  const auto vocab = attacks::vocabulary();
  bool bad = false;
  for (const auto& a : (*vm)["file"].as<std::vector<std::string>>()) {
    const std::string path = resolve_scenario(a);
    auto s = scenario::load_file(path, vocab);
    if (!s) {
      std::cerr << s.error().message << "\n";
      bad = true;
      continue;
    }
    std::cout << path << ": valid: scenario " << s->name << ", attack " << s->attack.name << ", " << s->peers.size()
              << " peer(s), " << s->sessions.size() << " session(s)\n";
  }
  return bad ? kUsage : kOk;
}

// The options of `run`, one struct so that more (e.g. sharding) fit beside them.
struct RunOptions {
  std::string json_path, key_log_path, report_dir, capture_path, baseline_path, shard_arg;
  std::vector<std::string> files;
  bool verbose = false, quiet = false;
};

po::options_description run_options(RunOptions& o) {
  po::options_description opts("run options");
  opts.add_options()  //
      ("json", po::value(&o.json_path), "write the result document (JSON) to this file")  //
      ("key-log", po::value(&o.key_log_path), "write DTLS secrets (NSS key log format, mode 0600) here")  //
      ("report-dir", po::value(&o.report_dir), "write every report, the capture and the key log here")  //
      ("capture", po::value(&o.capture_path), "write a pcap of every packet the runs sent here")  //
      ("baseline", po::value(&o.baseline_path),
       "an earlier result document: mark each session new/unchanged/updated (JSON, SARIF) and print only "
       "the changes")  //
      ("verbose,v", po::bool_switch(&o.verbose), "print each run's timeline")  //
      ("quiet,q", po::bool_switch(&o.quiet), "print nothing on success")  //
      ("shard", po::value(&o.shard_arg), "run only shard K/N of the files (K counted from 1), or auto")  //
      ("file", po::value(&o.files), "scenario files or catalogue names");
  return opts;
}

// What `run` decided before running anything: the scenarios of this shard
// and where the split came from.
struct RunPlan {
  std::vector<scenario::Scenario> scenarios;  // this shard's, in order
  std::vector<std::string> files;  // every file, catalogue names resolved
  cli::FilePlan plan;
  std::vector<std::size_t> chosen;  // indices into files
  std::optional<Shard> shard;
  json baseline;
};

// Load and validate everything before running anything (exit 2 on bad input):
// false when a scenario file is bad (reported already); UsageError for bad options.
bool plan_run(const RunOptions& o, RunPlan& p) {
  if (!load_scenarios(o.files, p.scenarios)) return false;
  // Outputs that could not be written are bad usage too, found before the runs.
  cli::check_output_file(o.json_path, "--json");
  cli::check_output_file(o.key_log_path, "--key-log");
  cli::check_output_file(o.capture_path, "--capture");
  cli::check_output_dir(o.report_dir, "--report-dir");
  p.baseline = cli::load_baseline(o.baseline_path);
  p.shard = cli::shard_option(o.shard_arg);
  for (const auto& f : o.files) p.files.push_back(resolve_scenario(f));
  // Every file counts towards the split: the shards of one split share one
  // plan and one expectations header.
  p.plan = cli::file_plan(p.files, p.shard.has_value());
  p.chosen = cli::cells_to_run(p.plan.cells, p.shard);
  std::vector<scenario::Scenario> mine;
  for (const auto i : p.chosen) mine.push_back(std::move(p.scenarios[i]));
  p.scenarios = std::move(mine);
  return true;
}

// Runs the scenarios one after another, with the key logs and the capture.
std::vector<RunResult> run_scenarios(const RunOptions& o, const std::vector<scenario::Scenario>& scenarios) {
  std::string capture_path = o.capture_path;
  cli::KeyLogs key_logs(o.key_log_path, o.report_dir);
  if (!o.report_dir.empty() && capture_path.empty()) capture_path = (fs::path(o.report_dir) / "capture.pcap").string();
  EngineOptions options;
  options.make_attack = &attacks::make_attack;
  CertificateStore certs;
  options.certificates = &certs;
  CoturnService coturn;  // one coturn for every run that needs it, stopped when we return
  options.coturn = &coturn;
  options.stop = &g_stop;
  if (key_logs.active()) options.key_log = [&](const std::string& line) { key_logs.write(line); };
  // What a bridge decrypts of a call (media: [audio]) is recorded beside the reports, as the relay does.
  const bool calls = std::any_of(scenarios.begin(), scenarios.end(), [](const scenario::Scenario& s) {
    return std::any_of(s.sessions.begin(), s.sessions.end(), [](const auto& session) { return session.audio; });
  });
  if (calls && !o.report_dir.empty()) {
    options.media_dir = (fs::path(o.report_dir) / "media").string();
    std::error_code ec;
    fs::create_directories(options.media_dir, ec);
    if (ec) throw cli::UsageError("cannot create " + options.media_dir + ": " + ec.message());
  }
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
  return results;
}

void print_run_summary(const RunOptions& o, const RunPlan& p, const json& doc) {
  reports::TerminalStyle style;
  style.colour = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  style.verbose = o.verbose;
  if (p.shard)
    std::cout << "shard " << p.shard->index << "/" << p.shard->total << ": " << p.chosen.size() << " of "
              << p.files.size() << " file(s)\n";
  if (!p.baseline.is_null() && !o.verbose) std::cout << cli::baseline_summary(p.baseline, doc);
  else std::cout << reports::terminal_summary(doc, style);
}

int cmd_run(const std::vector<std::string>& argv) {
  RunOptions o;
  const auto opts = run_options(o);
  po::positional_options_description pos;
  pos.add("file", -1);
  if (!cli::parse("run", argv, opts, &pos)) return kOk;
  if (o.files.empty()) throw UsageError("run needs at least one scenario file or catalogue name");
  RunPlan p;
  if (!plan_run(o, p)) return kUsage;

  const std::vector<RunResult> results = run_scenarios(o, p.scenarios);
  auto doc = reports::result_document(results);
  doc["created"] = reports::utc_timestamp();
  cli::add_headers(doc, p.plan.cells, p.chosen, p.shard, "run", p.plan.expectations);
  const bool interrupted =
      std::any_of(results.begin(), results.end(), [](const RunResult& r) { return r.interrupted; });
  if (interrupted) cli::add_interruption(doc, stop_signal() ? stop_signal() : SIGINT);
  if (!p.baseline.is_null()) reports::apply_baseline(doc, p.baseline);
  if (!cli::write_outputs(doc, o.json_path, o.report_dir)) return kSimulatorFailed;
  const bool errors = std::any_of(results.begin(), results.end(), [](const RunResult& r) { return !r.error.empty(); });
  const bool failed = !std::all_of(results.begin(), results.end(), all_passed);
  if (!o.quiet || failed || errors) print_run_summary(o, p, doc);
  // Interrupted (SIGINT/SIGTERM): what was done is written above; 128 + the signal.
  return cli::exit_status(results, stop_signal() ? stop_signal() : SIGINT);
}

// `sigtrust report RESULT.json --format F`: any report again from a saved
// result document, nothing run. The exit status is the document's: 0 all
// expectations met, 1 one failed, 3 a run had a simulator error; 2 when the
// document cannot be read (an interop document's as `sigtrust interop`
// returned it: cli::interop_exit_status).
int cmd_report(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv.front() == "merge") return cli::merge_command({argv.begin() + 1, argv.end()});
  po::options_description opts("report options");
  std::string format_name = "terminal";
  opts.add_options()  //
      ("format,f", po::value(&format_name), "terminal, markdown (md), html, junit, sarif or json")  //
      ("verbose,v", "terminal: print each run's timeline")  //
      ("file", po::value<std::vector<std::string>>(), "the result document");
  po::positional_options_description pos;
  pos.add("file", -1);
  const auto parsed = cli::parse("report", argv, opts, &pos);
  if (!parsed) return kOk;
  const po::variables_map& vm = *parsed;
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
  if (reports::is_interop(*doc)) return cli::interop_exit_status(*doc);
  const auto totals = reports::totals(*doc);
  if (totals.errors) return kSimulatorFailed;
  return totals.failed ? kExpectationFailed : kOk;
}

// `sigtrust diff OLD.json NEW.json`: which sessions changed outcome. Exit 0
// when none changed, 1 when some did, 2 when a document cannot be read.
int cmd_diff(const std::vector<std::string>& argv) {
  po::options_description opts("diff options");
  opts.add_options()("file", po::value<std::vector<std::string>>(), "the two result documents");
  po::positional_options_description pos;
  pos.add("file", -1);
  const auto vm = cli::parse("diff", argv, opts, &pos);
  if (!vm) return kOk;
  const auto files = vm->count("file") ? (*vm)["file"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) throw UsageError("diff needs two result documents: OLD.json NEW.json");
  const auto before = reports::load_document(files[0]);
  const auto after = reports::load_document(files[1]);
  for (const auto* d : {&before, &after})
    if (!*d) {
      std::cerr << "sigtrust: " << d->error().message << "\n";
      return kUsage;
    }
  // Interop documents compare as their runs, one a cell.
  const auto d = reports::diff_documents(reports::runs_view(*before), reports::runs_view(*after));
  std::cout << reports::diff_text(d);
  return d.empty() ? kOk : kExpectationFailed;
}

struct Check {
  bool ok;
  std::string what, detail, fix;
};

// `sigtrust doctor`: every program and capability a run may need, each
// with ✔/✘ and how to fix it. Exit 0 when what scenario runs need is there
// (isolation is optional: runs fall back to the host's loopback), else 1.
int cmd_doctor(const std::vector<std::string>& argv, bool isolate, const IsolationResult& iso) {
  po::options_description opts("doctor options");
  if (!cli::parse("doctor", argv, opts)) return kOk;
  std::vector<Check> required, optional;
  if (!isolate)
    optional.push_back({false, "isolation", "off (--no-isolate or SIGTRUST_NO_ISOLATE)",
                        "drop --no-isolate to run in a private network namespace"});
  else if (iso.isolated)
    optional.push_back({true, "isolation", "achieved: a private user+network namespace holding only lo", ""});
  else
    optional.push_back({false, "isolation", "not achieved: " + iso.why_not,
                        "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
                        "kernel.apparmor_restrict_unprivileged_userns=0) or run as root; runs use the host's "
                        "loopback meanwhile"});
  optional.push_back({true, "network interfaces visible", visible_interfaces(), ""});
  required.push_back({fs::is_directory(catalogue_dir()), "scenario catalogue", catalogue_dir(),
                      "reinstall sigtrust, or run the binary from its build directory"});
  const std::string turnserver = find_program("turnserver");
  required.push_back(
      {!turnserver.empty(), "turnserver (coturn)",
       turnserver.empty() ? "not on PATH; scenarios with 'stun: coturn' or 'turn: coturn' fail" : turnserver,
       "apt-get install coturn (scripts/install-deps installs it)"});
  {
    // Capture permission, tried for real on a throwaway file.
    const fs::path probe = fs::temp_directory_path() / ("sigtrust-doctor-" + std::to_string(::getpid()) + ".pcap");
    std::string why;
    {
      reports::Capture capture(probe.string());
      why = capture.start("127.0.0.0/8");
      if (why.empty()) capture.stop("127.0.0.0/8", std::chrono::milliseconds(0));
    }
    std::error_code ec;
    fs::remove(probe, ec);
    optional.push_back({why.empty(), "packet capture on lo", why.empty() ? "permitted" : why,
                        "run as root or with CAP_NET_RAW (or in the private namespace, which needs neither); "
                        "runs write everything else without it"});
  }
  for (const char* browser : {"chromium", "node", "tshark"}) {
    const std::string path = find_program(browser);
    const std::string name = browser;
    const std::string use = name == "tshark" ? "the capture tests dissect with it"
                                             : "the browser tests (tests/browser, tests/peerjs) need it";
    optional.push_back({!path.empty(), name, path.empty() ? "not on PATH; " + use : path,
                        name == "node" ? "apt-get install nodejs npm (scripts/install-deps)"
                                       : "apt-get install " + std::string(name == "tshark" ? "tshark" : "chromium") +
                                             " (scripts/install-deps)"});
  }
  bool ok = true;
  auto print = [](const Check& c) {
    std::cout << (c.ok ? "\u2714 " : "\u2718 ") << c.what << ": " << c.detail << "\n";
    if (!c.ok && !c.fix.empty()) std::cout << "    fix: " << c.fix << "\n";
  };
  std::cout << "needed by runs:\n";
  for (const auto& c : required) {
    print(c);
    ok = ok && c.ok;
  }
  std::cout << "optional (some runs, captures and tests):\n";
  for (const auto& c : optional) print(c);
  return ok ? kOk : kExpectationFailed;
}

// The command `cmd` run with `args`, or nothing if there is no such command.
std::optional<int> run_command(const std::string& cmd, const std::vector<std::string>& args, bool isolate,
                               const IsolationResult& iso) {
  if (cmd == "doctor") return cmd_doctor(args, isolate, iso);
  if (cmd == "run") return cmd_run(args);
  if (cmd == "validate") return cmd_validate(args);
  if (cmd == "diff") return cmd_diff(args);
  if (cmd == "list") return cmd_list(args);
  if (cmd == "report") return cmd_report(args);
  if (cmd == "matrix") return cli::matrix_command(args, &g_stop);
  if (cmd == "relay") return cli::relay_command(args, &g_stop);
  if (cmd == "interop") return cli::interop_command(args, &g_stop);
  if (cmd == "proxy") return cli::proxy_command(args, &g_stop);
  return std::nullopt;
}

// `sigtrust help [COMMAND]`: `sigtrust help run` is `sigtrust run --help`.
int help_command(const std::vector<std::string>& args, bool isolate, const IsolationResult& iso) {
  if (!args.empty() && cli::find_command(args.front()) && args.front() != "help")
    if (auto status = run_command(args.front(), {"--help"}, isolate, iso)) return *status;
  std::cout << cli::usage_text();
  return kOk;
}

[[noreturn]] void unknown_command(const std::string& cmd) {
  const std::string near = scenario::nearest_name(cmd, [] {
    std::vector<std::string> names;
    for (const auto& c : cli::commands()) names.push_back(c.name);
    return names;
  }());
  throw UsageError("unknown command '" + cmd + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
}

// Runs happen in a private network namespace unless asked not to
// (--no-isolate, SIGTRUST_NO_ISOLATE) or impossible. Takes --no-isolate out
// of `args`; `isolate` says whether it was wanted.
IsolationResult isolate_if_running(const std::string& cmd, std::vector<std::string>& args, bool& isolate) {
  isolate = !std::getenv("SIGTRUST_NO_ISOLATE");
  if (auto it = std::find(args.begin(), args.end(), "--no-isolate"); it != args.end()) {
    isolate = false;
    args.erase(it);
  }
  const bool wants_help =
      std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; });
  IsolationResult iso;
  if ((cmd == "run" || cmd == "matrix" || cmd == "interop" || cmd == "doctor") && !wants_help && isolate) {
    iso = enter_private_network();
    if (!iso.isolated && cmd != "doctor")
      std::cerr << "sigtrust: note: no private network namespace (" << iso.why_not
                << "); runs use the host's loopback, each in its own 127.a.b.0/24\n";
  }
  return iso;
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT/SIGTERM are taken by a watcher thread (started after isolation,
  // which needs a single-threaded process): children die at once, runs stop,
  // partial results are written. On SIGKILL children die by PR_SET_PDEATHSIG.
  block_stop_signals();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << cli::usage_text();
    return kUsage;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  bool isolate = true;
  const IsolationResult iso = isolate_if_running(cmd, args, isolate);
  start_stop_watcher(g_stop);
  try {
    if (cmd == "help" || cmd == "--help" || cmd == "-h") return help_command(args, isolate, iso);
    if (cmd == "--version" || cmd == "version") {
      std::cout << "sigtrust " << SIGTRUST_VERSION << "\n";
      return kOk;
    }
    if (auto status = run_command(cmd, args, isolate, iso)) return *status;
    unknown_command(cmd);
  } catch (const UsageError& e) {
    // Short: the message, the command's synopsis and where the rest is.
    std::cerr << "sigtrust: " << e.what() << "\n" << cli::short_usage(cmd);
    return kUsage;
  } catch (const po::error& e) {
    std::cerr << "sigtrust: " << e.what() << "\n" << cli::short_usage(cmd);
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "sigtrust: internal failure: " << e.what() << "\n";
    return kSimulatorFailed;
  }
}
