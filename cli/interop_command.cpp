// `sigtrust interop`: for each cell (offerer stack × answerer stack × attack),
// `sigtrust relay --attack` and two adapter processes, a deadline after which
// every one of them is killed, and the outcome the relay's live-session judging
// gave the room (sim/live_session: the clients' reports and the bridge's ground
// truth), compared with scenarios/interop/expected.yaml. The command runs in a
// private network namespace holding only lo (main.cpp), so every process of
// every cell is on loopback and nothing else. `--shard K/N|auto` runs one
// shard of the cells (cli/sharding.hpp; a cell is "OFFERER/ANSWERER/ATTACK"),
// and `sigtrust report merge` joins the shards' documents (reports/merge.hpp).
// `--jobs N` runs up to N cells at once, each on its own worker thread; they
// are printed and written in the canonical order all the same.
#include "cli/interop_command.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <numeric>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "attacks/registry.hpp"
#include "cli/command.hpp"
#include "cli/install_paths.hpp"
#include "cli/outputs.hpp"
#include "cli/sharding.hpp"
#include "core/digest.hpp"
#include "core/timeline_events.hpp"
#include "reports/interop_view.hpp"
#include "reports/json_report.hpp"
#include "reports/merge.hpp"
#include "sim/child_processes.hpp"

namespace sigtrust::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kOk = 0, kDeviation = 1, kUsage = 2, kWriteFailed = 3;

// One entry of the stack registry (interop/stacks.yaml).
struct Stack {
  std::string name;
  std::vector<std::string> command;  // the adapter; relay-protocol options are appended
  std::vector<std::string> version;  // prints "NAME VERSION"; fails if the stack is missing
  // Started once per run before the stack's first cell, if given: prints an
  // endpoint on its first line, which each adapter of the stack gets as
  // `--service ENDPOINT` (a browser shared by every cell instead of one
  // browser an adapter). Killed when the run ends.
  std::vector<std::string> service;
  bool reference = false;  // --pairs matrix pairs every stack with this one, both ways
};

struct Expectation {
  // The outcome that meets it: one, or for a cell measured to go either way
  // (a race inside the stacks, named in the reason) each it took.
  std::vector<std::string> accepted;
  std::string reason, version;
  // "failed", or "failed or detected".
  std::string outcome() const {
    std::string text;
    for (const auto& o : accepted) text += (text.empty() ? "" : " or ") + o;
    return text;
  }
};
// "OFFERER/ANSWERER" → attack → expectation.
using Expectations = std::map<std::string, std::map<std::string, Expectation>>;

std::string where(const std::string& path, const YAML::Mark& m) {
  return path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

YAML::Node load_yaml(const std::string& path) {
  if (!fs::is_regular_file(path)) throw UsageError(path + ": no such file");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw UsageError(where(path, e.mark) + ": " + e.msg);
  }
}

std::vector<std::string> argv_of(const YAML::Node& n, const std::string& path, const std::string& dir,
                                 const std::string& what) {
  if (!n || !n.IsSequence() || n.size() == 0)
    throw UsageError(where(path, n ? n.Mark() : YAML::Mark()) + ": " + what + " must be a non-empty list of strings");
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) throw UsageError(where(path, item.Mark()) + ": " + what + ": expected a string");
    auto s = item.as<std::string>();
    for (std::size_t at; (at = s.find("{dir}")) != std::string::npos;) s.replace(at, 5, dir);
    out.push_back(s);
  }
  return out;
}

std::vector<Stack> load_registry(const std::string& path) {
  const YAML::Node root = load_yaml(path);
  if (!root.IsMap()) throw UsageError(where(path, root.Mark()) + ": expected a map of stack name → {command, version}");
  const std::string dir = fs::absolute(path).parent_path().string();
  std::vector<Stack> stacks;
  for (const auto& entry : root) {
    Stack s;
    s.name = entry.first.as<std::string>();
    if (!entry.second.IsMap()) throw UsageError(where(path, entry.second.Mark()) + ": expected {command, version}");
    for (const auto& key : entry.second)
      if (const auto k = key.first.as<std::string>();
          k != "command" && k != "version" && k != "service" && k != "reference")
        throw UsageError(where(path, key.first.Mark()) + ": unknown key '" + k +
                         "' (expected command, version, service, reference)");
    s.command = argv_of(entry.second["command"], path, dir, s.name + ".command");
    s.version = argv_of(entry.second["version"], path, dir, s.name + ".version");
    if (entry.second["service"]) s.service = argv_of(entry.second["service"], path, dir, s.name + ".service");
    if (const auto& ref = entry.second["reference"]) {
      if (!ref.IsScalar() || (ref.Scalar() != "true" && ref.Scalar() != "false"))
        throw UsageError(where(path, ref.Mark()) + ": " + s.name + ".reference: expected true or false");
      s.reference = ref.Scalar() == "true";
    }
    stacks.push_back(std::move(s));
  }
  return stacks;
}

Expectations load_expectations(const std::string& path) {
  const YAML::Node root = load_yaml(path);
  if (!root.IsMap()) throw UsageError(where(path, root.Mark()) + ": expected a map of OFFERER/ANSWERER → attacks");
  Expectations out;
  for (const auto& pair : root) {
    const auto key = pair.first.as<std::string>();
    if (key.find('/') == std::string::npos)
      throw UsageError(where(path, pair.first.Mark()) + ": expected OFFERER/ANSWERER, not '" + key + "'");
    if (!pair.second.IsMap()) throw UsageError(where(path, pair.second.Mark()) + ": expected a map of attack → cell");
    for (const auto& cell : pair.second) {
      const auto& v = cell.second;
      if (!v.IsMap() || !v["outcome"] || !v["reason"] || !v["version"])
        throw UsageError(where(path, v.Mark()) + ": expected {outcome, reason, version}");
      Expectation e{{}, v["reason"].as<std::string>(), v["version"].as<std::string>()};
      if (v["outcome"].IsSequence())
        for (const auto& o : v["outcome"]) {
          if (!o.IsScalar()) throw UsageError(where(path, o.Mark()) + ": outcome: expected an outcome name");
          e.accepted.push_back(o.Scalar());
        }
      else if (v["outcome"].IsScalar()) e.accepted.push_back(v["outcome"].as<std::string>());
      if (e.accepted.empty())
        throw UsageError(where(path, v["outcome"].Mark()) + ": outcome: expected an outcome or a list of them");
      out[key][cell.first.as<std::string>()] = std::move(e);
    }
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& s, std::size_t n = 600) { return s.size() <= n ? s : s.substr(s.size() - n); }

// How a child ended; `hung` if the deadline came first (it was then killed).
struct Ended {
  bool done = false, hung = false;
  int code = -1, signal = 0;
};

// Whether `pid` has ended, without reaping it (reap_child does, and unregisters it).
bool ended(pid_t pid, Ended& e) {
  siginfo_t info{};
  if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid) return false;
  e.done = true;
  if (info.si_code == CLD_EXITED) e.code = info.si_status;
  else e.signal = info.si_status;
  return true;
}

// Runs `version` to its end (5 s at most): its first line, or "" if it failed.
std::string probe_version(const Stack& s, const fs::path& work) {
  const auto out = work / ("version-" + s.name + ".txt");
  auto pid = spawn_child(s.version, out.string(), (work / ("version-" + s.name + ".err")).string());
  if (!pid) return "";
  Ended e;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!ended(*pid, e) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  reap_child(*pid, 100);
  if (!e.done || e.code != 0) return "";
  std::string line = read_file(out);
  if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  return line;
}

// A stack's service, as started for this run: its endpoint, or why it has none.
struct Service {
  pid_t pid = -1;
  std::string endpoint, failure, stderr_tail;
  double seconds = 0;  // from its start to its endpoint
};
using Services = std::map<std::string, Service>;

// Starts the service of each stack in `stacks` that has one, all at once,
// and waits (60 s at most; a browser under load) for each one's first line.
// Called from the main thread: PR_SET_PDEATHSIG ties a child to the thread
// that forked it, and the services must live as long as the run.
Services start_services(const std::vector<const Stack*>& stacks, const fs::path& work) {
  Services services;
  const auto started = Clock::now();
  for (const Stack* s : stacks) {
    if (s->service.empty()) continue;
    Service& svc = services[s->name];
    auto pid = spawn_child(s->service, (work / ("service-" + s->name + ".out")).string(),
                           (work / ("service-" + s->name + ".err")).string());
    if (pid) svc.pid = *pid;
    else svc.failure = "service: " + pid.error().message;
  }
  for (const auto until = started + std::chrono::seconds(60);;) {
    bool waiting = false;
    for (auto& [name, svc] : services) {
      if (svc.pid < 0 || !svc.endpoint.empty() || !svc.failure.empty()) continue;
      const std::string out = read_file(work / ("service-" + name + ".out"));
      if (const auto nl = out.find('\n'); nl != std::string::npos && nl > 0) {
        svc.endpoint = out.substr(0, nl);
        svc.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        continue;
      }
      Ended e;
      if (ended(svc.pid, e)) svc.failure = "service ended before it gave its endpoint";
      else if (Clock::now() >= until) svc.failure = "service gave no endpoint within 60 s";
      else waiting = true;
    }
    if (!waiting) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& [name, svc] : services) {
    if (svc.failure.empty()) continue;
    svc.stderr_tail = tail(read_file(work / ("service-" + name + ".err")));
    if (svc.pid >= 0) reap_child(svc.pid, 500);
    svc.pid = -1;
    std::cout << name << ": " << svc.failure << "\n" << svc.stderr_tail << "\n";
  }
  return services;
}

void stop_services(Services& services) {
  for (auto& [name, svc] : services)
    if (svc.pid >= 0) reap_child(std::exchange(svc.pid, -1), 3000);
}

struct CellResult {
  std::string offerer, answerer, attack, outcome, why, failure, stderr_tail;
  double seconds = 0;
  // The relay's session as judged: "peers" (what each client's DTLS layer
  // authenticated, and whose certificate it was), "attacker", "timings_ms".
  json session = json::object();
  // The runs of this cell before this one, when it deviated and was run again
  // (--reruns): each one's outcome, why, seconds, failure and stderr tail.
  json earlier = json::array();
};

// What an adapter printed and how it ended: "" if it behaved as the relay
// protocol's clients must (exit 0 or 1, JSON lines ending with an exit event),
// else what was wrong.
std::string adapter_fault(const Ended& e, const std::string& out) {
  if (e.hung) return "hung: killed at the cell's deadline";
  if (e.signal) return "killed by signal " + std::to_string(e.signal);
  if (e.code != 0 && e.code != 1) return "exit status " + std::to_string(e.code);
  bool saw_exit = false;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);) {
    if (line.empty()) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event"))
      return "printed something other than JSON events: " + tail(line, 120);
    if (saw_exit) return "printed after its exit event: " + tail(line, 120);
    if (j["event"] == "exit") saw_exit = true;
  }
  return saw_exit ? "" : "ended without its exit event";
}

// One adapter process of a cell: Alice offers, Bob answers.
struct Client {
  std::string label, role, say;
  const Stack* stack;
  pid_t pid = -1;
  Ended end;
};

// A cell's relay, listening.
struct Relay {
  pid_t pid;
  std::string url;  // ws://127.0.0.1:PORT
};

// Starts `sigtrust relay --attack` for the cell and waits (10 s at most)
// until it prints its address. Null, with the reason in `r` and the relay
// reaped, if it does not.
std::optional<Relay> start_relay(const std::string& self, const std::string& attack, const fs::path& dir,
                                 CellResult& r) {
  const auto relay_log = dir / "relay.log", relay_json = dir / "relay.json";
  auto relay =
      spawn_child({self, "relay", "--listen", "127.0.0.1:0", "--attack", attack, "--json", relay_json.string()},
                  relay_log.string());
  if (!relay) {
    r.failure = "relay: " + relay.error().message;
    return std::nullopt;
  }
  static const std::regex ready(R"(relay on (ws://[0-9.]+:\d+)/)");
  Ended relay_end;
  for (const auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until;) {
    const std::string log = read_file(relay_log);
    if (std::smatch m; std::regex_search(log, m, ready)) return Relay{*relay, m[1]};
    if (ended(*relay, relay_end)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  reap_child(*relay, 200);
  r.failure = "relay did not start";
  r.stderr_tail = tail(read_file(relay_log));
  return std::nullopt;
}

// Starts both adapters against `url`, waits until both have ended, the
// cell's deadline passed or the command is stopped, then kills whatever
// still runs: no process outlives its cell.
void run_clients(Client (&clients)[2], const std::string& url, const Services& services, const fs::path& dir,
                 int deadline_ms, const std::atomic<bool>* stop) {
  // Each adapter gives up by itself at half the cell's deadline: the other
  // half covers starting its runtime and exiting on a loaded machine (a
  // fixed 3 s margin was not enough for werift on Node with both cores busy).
  const std::string adapter_timeout = std::to_string(std::max(1000, deadline_ms / 2));
  for (auto& c : clients) {
    auto argv = c.stack->command;
    for (const std::string& a :
         std::vector<std::string>{"--url", url + "/interop", "--peer", c.label, "--role", c.role, "--say", c.say,
                                  "--expect", "1", "--timeout-ms", adapter_timeout})
      argv.push_back(a);
    if (auto svc = services.find(c.stack->name); svc != services.end()) {
      argv.push_back("--service");
      argv.push_back(svc->second.endpoint);
    }
    auto pid = spawn_child(argv, (dir / (c.label + ".out")).string(), (dir / (c.label + ".err")).string());
    if (pid) c.pid = *pid;
    else {
      c.end.done = true;
      c.end.code = 127;
    }
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(deadline_ms);
  while (!(clients[0].end.done && clients[1].end.done) && Clock::now() < deadline && !(stop && stop->load())) {
    for (auto& c : clients)
      if (!c.end.done) ended(c.pid, c.end);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& c : clients) {
    if (c.pid < 0) continue;
    if (!c.end.done) c.end.hung = true;
    reap_child(c.pid, 200);
  }
}

// The cell's outcome from the relay's result document (its live-session
// judging of the room), and why in the relay's words.
void judge_cell(const fs::path& dir, CellResult& r) {
  const json doc = json::parse(read_file(dir / "relay.json"), nullptr, false);
  if (doc.is_discarded() || !doc.contains("runs") || doc["runs"].empty() || doc["runs"][0]["sessions"].empty()) {
    r.failure = "the relay judged no session";
    r.stderr_tail = tail(read_file(dir / "relay.log"));
    return;
  }
  const json& s = doc["runs"][0]["sessions"][0];
  r.outcome = s.value("outcome", "failed");
  for (const char* key : {"peers", "attacker", "timings_ms"})
    if (s.contains(key)) r.session[key] = s[key];
  // The relay says why in words in its relay.outcome timeline event ("room R: OUTCOME — why").
  for (const auto& e : doc["runs"][0].value("timeline", json::array()))
    if (e.value("kind", "") == events::kRelayOutcome) {
      const std::string text = e.value("text", "");
      const auto dash = text.find(" — ");
      r.why = dash == std::string::npos ? text : text.substr(dash + std::string(" — ").size());
    }
}

// The `error` of an adapter's exit event, "" if none.
std::string exit_error(const std::string& out) {
  std::stringstream ss(out);
  std::string error;
  for (std::string line; std::getline(ss, line);) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "exit" && j.contains("error") && j["error"].is_string())
      error = j["error"].get<std::string>();
  }
  return error;
}

// The relay judges a client that sent it no report from what it saw, and over
// unaltered signaling it infers `secure`. Every adapter reports, so a cell
// judged so in which an adapter ended refused or failed (exit 1, e.g. timed
// out before its channel opened) has not shown a session: it failed. A broken
// or overloaded stack must not pass the honest cells.
void refuse_unshown_secure(const Client (&clients)[2], const fs::path& dir, CellResult& r) {
  if (r.outcome != "secure") return;
  for (const auto& c : clients) {
    if (c.end.code == 0) continue;
    r.outcome = "failed";
    r.failure = c.label + " (" + c.stack->name + "): judged secure by inference, but the adapter ended with exit " +
                std::to_string(c.end.code) + ": " + exit_error(read_file(dir / (c.label + ".out")));
    r.stderr_tail = tail(read_file(dir / (c.label + ".err")));
    return;
  }
}

CellResult run_cell(const std::string& self, const Stack& offerer, const Stack& answerer, const std::string& attack,
                    const Services& services, const fs::path& dir, int deadline_ms, const std::atomic<bool>* stop) {
  CellResult r{offerer.name, answerer.name, attack, "failed", "", "", "", 0, json::object()};
  fs::create_directories(dir);
  const auto started = Clock::now();
  auto finish = [&] {
    r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return r;
  };
  // A stack whose service did not start: its cells fail, saying why.
  for (const Stack* s : {&offerer, &answerer})
    if (auto svc = services.find(s->name); svc != services.end() && !svc->second.failure.empty()) {
      r.failure = s->name + ": " + svc->second.failure;
      r.stderr_tail = svc->second.stderr_tail;
      return finish();
    }
  const auto relay = start_relay(self, attack, dir, r);
  if (!relay) return finish();
  Client clients[2] = {{"alice", "offer", "hello bob", &offerer, -1, {}},
                       {"bob", "answer", "hello alice", &answerer, -1, {}}};
  run_clients(clients, relay->url, services, dir, deadline_ms, stop);
  reap_child(relay->pid, 5000);  // SIGTERM: the relay judges the room and writes its result
  for (const auto& c : clients) {
    const std::string fault = adapter_fault(c.end, read_file(dir / (c.label + ".out")));
    if (fault.empty()) continue;
    r.failure = c.label + " (" + c.stack->name + "): " + fault;
    r.stderr_tail = tail(read_file(dir / (c.label + ".err")));
    return finish();
  }
  judge_cell(dir, r);
  refuse_unshown_secure(clients, dir, r);
  return finish();
}

struct InteropOptions {
  std::string stacks, attacks, json_path, report_dir, work_dir, pairs = "matrix", shard;
  std::string registry = std::string(SIGTRUST_INTEROP_DIR) + "/stacks.yaml";
  std::string expectations = (fs::path(catalogue_dir()) / "interop" / "expected.yaml").string();
  int deadline_ms = 20000;
  int jobs = 1;
  int reruns = 0;
};

// At most 3 processes a cell (the relay, two adapters) run at once, and the
// child registry that kills them all on SIGINT/SIGTERM holds 64.
constexpr int kMaxJobs = 16;

po::options_description interop_options(InteropOptions& o) {
  po::options_description opts("Options");
  opts.add_options()  //
      ("stacks", po::value(&o.stacks), "stacks to run, comma-separated (default: every stack of the registry)")  //
      ("pairs", po::value(&o.pairs)->default_value(o.pairs),
       "matrix: each stack with itself, and with each reference stack of the registry as offerer and as "
       "answerer; same: each stack with itself; cross: each ordered pair of different stacks; all: same and cross")  //
      ("attacks", po::value(&o.attacks),
       "signaling attacks, comma-separated (default: every signaling-position attack, sigtrust list attacks)")  //
      ("jobs,j", po::value(&o.jobs)->default_value(o.jobs),
       "cells run at once (1-16); the output keeps the canonical order")  //
      ("json", po::value(&o.json_path), "write every cell, the stacks' versions and the summary here")  //
      ("report-dir", po::value(&o.report_dir),
       "write every report format of the result here (the stack × attack table in report.md and report.html)")  //
      ("work-dir", po::value(&o.work_dir), "keep each cell's logs here (default: a temporary directory)")  //
      ("registry", po::value(&o.registry), "the stack registry (default interop/stacks.yaml)")  //
      ("expectations", po::value(&o.expectations),
       "the expected outcome of every cell (default scenarios/interop/expected.yaml)")  //
      ("shard", po::value(&o.shard),
       "run only shard K/N of the cells (K counted from 1), or auto (docs/ci.md)")  //
      ("deadline-ms", po::value(&o.deadline_ms)->default_value(o.deadline_ms),
       "a cell's processes are all killed after this long")  //
      ("reruns", po::value(&o.reruns)->default_value(o.reruns),
       "run a deviating cell again, up to N times (0-3), unless the attacker won a cell measured to resist "
       "him; every run is kept in the result (docs/interop.md)");
  return opts;
}

// One cell of the split: a pair of stacks under one attack.
struct Cell {
  const Stack* offerer;
  const Stack* answerer;
  std::string attack;
};

// Every cell asked for, in the canonical order (pairs in the order of
// --stacks or of the registry, offerer first; attacks in the order given),
// and the shard of them this process runs. The cells do not depend on which
// stacks are present on this machine, so every shard of a split has the same.
struct InteropPlan {
  std::vector<Stack> registry;
  Expectations expected;
  std::vector<const Stack*> stacks;
  std::vector<Cell> cells;
  std::vector<std::string> ids;  // "OFFERER/ANSWERER/ATTACK" of each cell
  std::vector<std::size_t> chosen;  // positions in cells this shard runs
  std::optional<Shard> shard;
  json expectations_header;  // {"file", "sha256"}
};

void choose_stacks(InteropPlan& plan, const InteropOptions& o) {
  if (o.stacks.empty())
    for (const auto& s : plan.registry) plan.stacks.push_back(&s);
  for (const auto& name : split_list(o.stacks)) {
    auto it = std::find_if(plan.registry.begin(), plan.registry.end(), [&](const Stack& s) { return s.name == name; });
    if (it == plan.registry.end()) throw UsageError("unknown stack '" + name + "' (" + o.registry + ")");
    plan.stacks.push_back(&*it);
  }
}

// Every attack the live relay can run, in the registry's order: `none` and
// the signaling-position attacks whose rules are not written in a scenario.
std::vector<std::string> signaling_attacks() {
  std::vector<std::string> names;
  for (const auto& p : attacks::registry())
    if ((p.decl.position == AttackPosition::None || p.decl.position == AttackPosition::Signaling) &&
        !p.decl.declarative)
      names.push_back(p.decl.name);
  return names;
}

// Fills `plan` in place (its cells point into its registry). Throws UsageError.
void plan_interop(InteropPlan& plan, const InteropOptions& o) {
  plan.shard = shard_option(o.shard);
  plan.registry = load_registry(o.registry);
  plan.expected = load_expectations(o.expectations);
  choose_stacks(plan, o);
  const auto attacks = o.attacks.empty() ? signaling_attacks() : split_list(o.attacks);
  if (plan.stacks.empty() || attacks.empty()) throw UsageError("nothing to run");
  const auto wanted = [&](const Stack* a, const Stack* b) {
    if (o.pairs == "matrix") return a == b || a->reference || b->reference;
    return a == b ? o.pairs != "cross" : o.pairs != "same";
  };
  for (const Stack* a : plan.stacks)
    for (const Stack* b : plan.stacks)
      if (wanted(a, b))
        for (const auto& attack : attacks) {
          plan.cells.push_back({a, b, attack});
          plan.ids.push_back(a->name + "/" + b->name + "/" + attack);
        }
  // A split, and cells run at once (each in its own work directory), need distinct cells.
  if (plan.shard || o.jobs > 1)
    for (std::set<std::string> seen; const auto& id : plan.ids)
      if (!seen.insert(id).second)
        throw UsageError("cell " + id + " given twice (--stacks or --attacks); with --shard or --jobs every cell " +
                         "must be distinct");
  plan.chosen = cells_to_run(plan.ids, plan.shard);
  const auto digest = sha256_of_file(o.expectations);
  if (!digest) throw UsageError(digest.error().message);
  plan.expectations_header = {{"file", o.expectations}, {"sha256", *digest}};
}

// Each stack's version probe: the versions of those present on this machine;
// the others are printed as MISSING and listed.
struct Probed {
  std::map<std::string, std::string> versions;
  std::vector<std::string> missing;
  json stacks = json::array();  // the document's "stacks"
};

Probed probe_stacks(const std::vector<const Stack*>& stacks, const fs::path& work) {
  Probed p;
  for (const Stack* s : stacks) {
    const std::string v = probe_version(*s, work);
    p.stacks.push_back({{"name", s->name}, {"version", v}, {"present", !v.empty()}});
    if (v.empty()) {
      p.missing.push_back(s->name);
      std::cout << s->name << ": MISSING (its version probe failed: " << s->version.front() << " …)\n";
    } else {
      p.versions[s->name] = v;
    }
  }
  return p;
}

const Expectation* expectation_of(const Expectations& expected, const std::string& pair, const std::string& attack) {
  if (auto p = expected.find(pair); p != expected.end())
    if (auto c = p->second.find(attack); c != p->second.end()) return &c->second;
  return nullptr;
}

bool meets(const Expectation* e, const std::string& outcome) {
  return e && std::find(e->accepted.begin(), e->accepted.end(), outcome) != e->accepted.end();
}

bool attacker_won(const std::string& outcome) {
  return outcome == "mitm-undetected" || outcome == "mitm-detected-late";
}

// Whether a deviating cell may be run again (--reruns): not when the attacker
// sat in the middle of a cell the stacks were measured to resist. That is a
// finding about the stacks, never a flake to run again.
bool may_rerun(const Expectation& e, const std::string& outcome) {
  return !attacker_won(outcome) || std::any_of(e.accepted.begin(), e.accepted.end(), attacker_won);
}

// "run 1 of 2: detected: alice refused: …", one line for each of `runs` (a
// cell's runs, each with outcome, why, failure and stderr tail) out of
// `total`, each followed by its stderr tail if `tails` and it failed.
void print_runs(const json& runs, std::size_t total, bool tails) {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string why = runs[i]["why"], failure = runs[i]["failure"];
    std::cout << "    run " << i + 1 << " of " << total << ": " << runs[i]["outcome"].get<std::string>() << ": "
              << (failure.empty() ? why : failure) << "\n";
    if (tails && !failure.empty()) std::cout << runs[i]["stderr_tail"].get<std::string>() << "\n";
  }
}

json run_json(const CellResult& r) {
  return {{"outcome", r.outcome},
          {"why", r.why},
          {"seconds", r.seconds},
          {"failure", r.failure},
          {"stderr_tail", r.stderr_tail}};
}

void print_cell(const CellResult& r, const Expectation* e, bool met, const std::string& expectations_path) {
  std::cout << std::left << std::setw(36) << (r.offerer + "/" + r.answerer + " × " + r.attack) << " " << r.outcome;
  if (e) std::cout << (met ? "" : "  DEVIATION: expected " + e->outcome());
  else std::cout << "  DEVIATION: no expectation in " << expectations_path;
  std::cout << "  (" << std::fixed << std::setprecision(1) << r.seconds << " s)\n";
  if (!r.failure.empty()) std::cout << "    " << r.failure << "\n" << r.stderr_tail << "\n";
  print_runs(r.earlier, r.earlier.size() + 1, false);
}

// Repeats, after the count, each deviating cell and each cell met only on a
// rerun, with what was seen: a long run's log is often kept only by its head
// and tail (CI does so), and a line in the middle would be lost with it.
void print_recap(const json& cells) {
  for (const auto& c : cells) {
    const bool met = c["met"];
    if (met && c["earlier_runs"].empty()) continue;
    std::cout << (met ? "MET ON RERUN " : "DEVIATION ") << c["cell"].get<std::string>() << ": "
              << c["outcome"].get<std::string>() << ", expected "
              << (c["expected"].is_null() ? "(none)" : c["expected"].get<std::string>()) << "\n";
    json runs = c["earlier_runs"];
    runs.push_back(c);  // the last run: the cell's own outcome, why, failure and stderr tail
    print_runs(runs, runs.size(), true);
  }
}

json cell_json(const CellResult& r, const std::string& id, const Expectation* e, bool met, const std::string& version) {
  json cell = {{"cell", id},
               {"offerer", r.offerer},
               {"answerer", r.answerer},
               {"attack", r.attack},
               {"outcome", r.outcome},
               {"why", r.why},
               {"expected", e ? json(e->outcome()) : json(nullptr)},
               {"expected_reason", e ? json(e->reason) : json(nullptr)},
               {"expected_version", e ? json(e->version) : json(nullptr)},
               {"version", version},
               {"met", met},
               {"seconds", r.seconds},
               {"failure", r.failure},
               {"stderr_tail", r.stderr_tail},
               {"earlier_runs", r.earlier}};
  for (const auto& [key, value] : r.session.items()) cell[key] = value;
  return cell;
}

// A cell this process runs: its position in the plan and the measured
// version of its pair ("V" for a stack with itself, "V1 / V2" across).
struct RunnableCell {
  std::size_t index;
  std::string version;
};

// This shard's cells whose stacks are both present, in the canonical order.
std::vector<RunnableCell> runnable_cells(const InteropPlan& plan, const Probed& probed) {
  std::vector<RunnableCell> runnable;
  for (const std::size_t i : plan.chosen) {
    const Cell& c = plan.cells[i];
    const auto off = probed.versions.find(c.offerer->name), ans = probed.versions.find(c.answerer->name);
    if (off == probed.versions.end() || ans == probed.versions.end()) continue;
    runnable.push_back({i, off == ans ? off->second : off->second + " / " + ans->second});
  }
  return runnable;
}

// The finished cells, printed and added to the document in the canonical
// order whatever order the workers finish them in: each as soon as every
// cell before it is out.
class InOrder {
 public:
  InOrder(const InteropPlan& plan, const std::vector<RunnableCell>& runnable, const std::string& expectations,
          json& cells)
      : plan_(plan), runnable_(runnable), expectations_(expectations), cells_(cells), done_(runnable.size()) {}
  void finished(std::size_t k, CellResult r) {
    std::lock_guard lock(mu_);
    done_[k] = std::move(r);
    ++count_;
    while (next_ < done_.size() && done_[next_]) emit(next_++);
    // Cells finished ahead of their turn wait for the ones before them: say how far the run is.
    if (count_ > next_ && Clock::now() - said_ >= std::chrono::seconds(30)) {
      said_ = Clock::now();
      std::cerr << "interop: " << count_ << " of " << done_.size() << " cells done\n";
    }
  }
  // After the workers: the cells left behind a gap (a cell never started because the command was stopped).
  void finish() {
    for (; next_ < done_.size(); ++next_)
      if (done_[next_]) emit(next_);
  }

 private:
  void emit(std::size_t k) {
    const CellResult& r = *done_[k];
    const std::string pair = r.offerer + "/" + r.answerer;
    const Expectation* e = expectation_of(plan_.expected, pair, r.attack);
    const bool met = meets(e, r.outcome);
    print_cell(r, e, met, expectations_);
    std::cout.flush();
    cells_.push_back(cell_json(r, plan_.ids[runnable_[k].index], e, met, runnable_[k].version));
  }
  const InteropPlan& plan_;
  const std::vector<RunnableCell>& runnable_;
  const std::string& expectations_;
  json& cells_;
  std::mutex mu_;
  std::vector<std::optional<CellResult>> done_;
  std::size_t next_ = 0, count_ = 0;
  Clock::time_point said_ = Clock::now();
};

// Runs this shard's cells whose stacks are present on `jobs` worker threads,
// printing each and adding it to `cells` in the canonical order. Stops
// starting cells when asked to. Each worker forks
// its cell's processes and reaps them before it takes the next cell, so it
// outlives them (PR_SET_PDEATHSIG fires when the forking thread ends).
void run_cells(const InteropPlan& plan, const std::vector<RunnableCell>& runnable, const Services& services,
               const InteropOptions& o, const fs::path& work, json& cells, const std::atomic<bool>* stop) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  InOrder out(plan, runnable, o.expectations, cells);
  // The workers take the cells in an order scattered by a hash of each
  // cell's identity (the same on every run), so that the cells running at
  // once are of different pairs and attacks: in the canonical order a
  // browser's row (Chromium offering to each stack) would be six browser
  // cells at once, and attack by attack every cell of an attack whose
  // sessions complete would compete for the two cores at once.
  std::vector<std::size_t> order(runnable.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<std::uint64_t> key(runnable.size());
  for (std::size_t k = 0; k < runnable.size(); ++k) key[k] = fnv1a64(plan.ids[runnable[k].index]);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t n; (n = next++) < order.size() && !(stop && stop->load());) {
      const std::size_t k = order[n];
      const Cell& c = plan.cells[runnable[k].index];
      const fs::path dir = work / (c.offerer->name + "/" + c.answerer->name) / c.attack;
      CellResult r = run_cell(self, *c.offerer, *c.answerer, c.attack, services, dir, o.deadline_ms, stop);
      const Expectation* e = expectation_of(plan.expected, c.offerer->name + "/" + c.answerer->name, c.attack);
      for (int run = 2;
           run <= 1 + o.reruns && e && !meets(e, r.outcome) && may_rerun(*e, r.outcome) && !(stop && stop->load());
           ++run) {
        CellResult again = run_cell(self, *c.offerer, *c.answerer, c.attack, services,
                                    dir / ("run-" + std::to_string(run)), o.deadline_ms, stop);
        again.earlier = std::move(r.earlier);
        again.earlier.push_back(run_json(r));
        r = std::move(again);
      }
      out.finished(k, std::move(r));
    }
  };
  std::vector<std::thread> workers;
  for (int j = 1; j < std::min<int>(o.jobs, static_cast<int>(runnable.size())); ++j) workers.emplace_back(worker);
  worker();
  for (auto& t : workers) t.join();
  out.finish();
}

}  // namespace

int interop_command(const std::vector<std::string>& args, const std::atomic<bool>* stop) {
  InteropOptions o;
  const auto opts = interop_options(o);
  if (!parse("interop", args, opts)) return kOk;
  check_output_file(o.json_path, "--json");
  check_output_dir(o.report_dir, "--report-dir");
  if (o.jobs < 1 || o.jobs > kMaxJobs) throw UsageError("--jobs must be from 1 to " + std::to_string(kMaxJobs));
  if (o.deadline_ms < 2000) throw UsageError("--deadline-ms must be at least 2000");
  if (o.reruns < 0 || o.reruns > 3) throw UsageError("--reruns must be from 0 to 3");
  if (o.pairs != "matrix" && o.pairs != "same" && o.pairs != "cross" && o.pairs != "all")
    throw UsageError("--pairs must be matrix, same, cross or all");
  InteropPlan plan;
  plan_interop(plan, o);

  const fs::path work = o.work_dir.empty()
                            ? fs::temp_directory_path() / ("sigtrust-interop-" + std::to_string(getpid()))
                            : fs::path(o.work_dir);
  fs::create_directories(work);
  Probed probed = probe_stacks(plan.stacks, work);
  json doc = {{"tool", "sigtrust"},
              {"version", SIGTRUST_VERSION},
              {"command", "interop"},
              {"expectations", plan.expectations_header}};
  if (plan.shard) doc["shard"] = reports::shard_header(*plan.shard, "interop", plan.ids);
  const std::vector<RunnableCell> runnable = runnable_cells(plan, probed);
  std::vector<const Stack*> used;
  for (const auto& rc : runnable)
    for (const Stack* s : {plan.cells[rc.index].offerer, plan.cells[rc.index].answerer})
      if (std::find(used.begin(), used.end(), s) == used.end()) used.push_back(s);
  Services services = start_services(used, work);
  for (auto& entry : probed.stacks)
    if (auto svc = services.find(entry["name"].get<std::string>()); svc != services.end())
      entry["service"] =
          svc->second.failure.empty() ? json{{"seconds", svc->second.seconds}} : json{{"failure", svc->second.failure}};
  doc["stacks"] = probed.stacks;
  doc["cells"] = json::array();
  run_cells(plan, runnable, services, o, work, doc["cells"], stop);
  stop_services(services);
  const bool interrupted = stop && stop->load();
  if (interrupted) add_interruption(doc, stop_signal() ? stop_signal() : SIGINT);
  doc["summary"] = reports::interop_summary(doc);
  doc["created"] = reports::utc_timestamp();
  // An adapter's stderr tail may end inside a UTF-8 sequence: replaced, never thrown on.
  const bool written = write_outputs(doc, o.json_path, o.report_dir);
  if (o.work_dir.empty()) fs::remove_all(work);
  if (plan.shard)
    std::cout << "shard " << plan.shard->index << "/" << plan.shard->total << " of " << plan.ids.size() << " cells: ";
  std::cout << reports::interop_summary_line(doc["summary"]) << "\n";
  print_recap(doc["cells"]);
  if (interrupted) return 128 + doc["interrupted_by"].get<int>();
  if (!written) return kWriteFailed;
  if (!probed.missing.empty()) return kUsage;
  return doc["summary"]["deviations"] != 0 ? kDeviation : kOk;
}

}  // namespace sigtrust::cli
