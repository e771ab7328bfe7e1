// `sigtrust interop`: for each cell (offerer stack × answerer stack × attack),
// `sigtrust relay --attack` and two adapter processes, a deadline after which
// every one of them is killed, and the outcome the relay's live-session judging
// gave the room (sim/live_session: the clients' reports and the bridge's ground
// truth), compared with scenarios/interop/expected.yaml. The command runs in a
// private network namespace holding only lo (main.cpp), so every process of
// every cell is on loopback and nothing else.
#include "cli/interop_command.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/command.hpp"
#include "cli/install_paths.hpp"
#include "core/timeline_events.hpp"
#include "sim/child_processes.hpp"

namespace sigtrust::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kOk = 0, kDeviation = 1, kUsage = 2;

// One entry of the stack registry (interop/stacks.yaml).
struct Stack {
  std::string name;
  std::vector<std::string> command;  // the adapter; relay-protocol options are appended
  std::vector<std::string> version;  // prints "NAME VERSION"; fails if the stack is missing
};

struct Expectation {
  std::string outcome, reason, version;
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
      if (key.first.as<std::string>() != "command" && key.first.as<std::string>() != "version")
        throw UsageError(where(path, key.first.Mark()) + ": unknown key '" + key.first.as<std::string>() +
                         "' (expected command, version)");
    s.command = argv_of(entry.second["command"], path, dir, s.name + ".command");
    s.version = argv_of(entry.second["version"], path, dir, s.name + ".version");
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
      out[key][cell.first.as<std::string>()] = {v["outcome"].as<std::string>(), v["reason"].as<std::string>(),
                                                v["version"].as<std::string>()};
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

struct CellResult {
  std::string offerer, answerer, attack, outcome, why, failure, stderr_tail;
  double seconds = 0;
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
    if (j["event"] == "exit") saw_exit = true;
  }
  return saw_exit ? "" : "ended without its exit event";
}

CellResult run_cell(const std::string& self, const Stack& offerer, const Stack& answerer, const std::string& attack,
                    const fs::path& dir, int deadline_ms, const std::atomic<bool>* stop) {
  CellResult r{offerer.name, answerer.name, attack, "failed", "", "", "", 0};
  fs::create_directories(dir);
  const auto started = Clock::now();
  auto finish = [&] {
    r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return r;
  };
  const auto relay_log = dir / "relay.log", relay_json = dir / "relay.json";
  auto relay =
      spawn_child({self, "relay", "--listen", "127.0.0.1:0", "--attack", attack, "--json", relay_json.string()},
                  relay_log.string());
  if (!relay) {
    r.failure = "relay: " + relay.error().message;
    return finish();
  }
  // The relay prints its address once it listens.
  static const std::regex ready(R"(relay on (ws://[0-9.]+:\d+)/)");
  std::smatch m;
  std::string url;
  Ended relay_end;
  for (const auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until;) {
    const std::string log = read_file(relay_log);
    if (std::regex_search(log, m, ready)) {
      url = m[1];
      break;
    }
    if (ended(*relay, relay_end)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (url.empty()) {
    reap_child(*relay, 200);
    r.failure = "relay did not start";
    r.stderr_tail = tail(read_file(relay_log));
    return finish();
  }
  // Each adapter gives up by itself at half the cell's deadline: the other
  // half covers starting its runtime and exiting on a loaded machine (a
  // fixed 3 s margin was not enough for werift on Node with both cores busy).
  const std::string adapter_timeout = std::to_string(std::max(1000, deadline_ms / 2));
  struct Client {
    std::string label, role, say;
    const Stack* stack;
    pid_t pid = -1;
    Ended end;
  };
  Client clients[2] = {{"alice", "offer", "hello bob", &offerer, -1, {}},
                       {"bob", "answer", "hello alice", &answerer, -1, {}}};
  for (auto& c : clients) {
    auto argv = c.stack->command;
    for (const std::string& a :
         std::vector<std::string>{"--url", url + "/interop", "--peer", c.label, "--role", c.role, "--say", c.say,
                                  "--expect", "1", "--timeout-ms", adapter_timeout})
      argv.push_back(a);
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
  // No process outlives its cell: whatever is still running is killed here.
  for (auto& c : clients) {
    if (c.pid < 0) continue;
    if (!c.end.done) c.end.hung = true;
    reap_child(c.pid, 200);
  }
  reap_child(*relay, 5000);  // SIGTERM: the relay judges the room and writes its result

  for (const auto& c : clients) {
    const std::string fault = adapter_fault(c.end, read_file(dir / (c.label + ".out")));
    if (fault.empty()) continue;
    r.failure = c.label + " (" + c.stack->name + "): " + fault;
    r.stderr_tail = tail(read_file(dir / (c.label + ".err")));
    return finish();
  }
  const json doc = json::parse(read_file(relay_json), nullptr, false);
  if (doc.is_discarded() || !doc.contains("runs") || doc["runs"].empty() || doc["runs"][0]["sessions"].empty()) {
    r.failure = "the relay judged no session";
    r.stderr_tail = tail(read_file(relay_log));
    return finish();
  }
  const json& s = doc["runs"][0]["sessions"][0];
  r.outcome = s.value("outcome", "failed");
  // The relay says why in words in its relay.outcome timeline event ("room R: OUTCOME — why").
  for (const auto& e : doc["runs"][0].value("timeline", json::array()))
    if (e.value("kind", "") == events::kRelayOutcome) {
      const std::string text = e.value("text", "");
      const auto dash = text.find(" — ");
      r.why = dash == std::string::npos ? text : text.substr(dash + std::string(" — ").size());
    }
  return finish();
}

}  // namespace

int interop_command(const std::vector<std::string>& args, const std::atomic<bool>* stop) {
  std::string stacks_arg, attacks_arg = "none,swap-mitm,strip-mitm,append-mitm,prepend-mitm", json_path, work_dir,
                          pairs = "same";
  std::string registry_path = std::string(SIGTRUST_INTEROP_DIR) + "/stacks.yaml";
  std::string expectations_path = (fs::path(catalogue_dir()) / "interop" / "expected.yaml").string();
  int deadline_ms = 20000;
  po::options_description opts("Options");
  opts.add_options()  //
      ("stacks", po::value(&stacks_arg), "stacks to run, comma-separated (default: every stack of the registry)")  //
      ("pairs", po::value(&pairs)->default_value(pairs),
       "same: each stack with itself; cross: each ordered pair of different stacks; all: both")  //
      ("attacks", po::value(&attacks_arg)->default_value(attacks_arg), "signaling attacks, comma-separated")  //
      ("json", po::value(&json_path), "write every cell, the stacks' versions and the summary here")  //
      ("work-dir", po::value(&work_dir), "keep each cell's logs here (default: a temporary directory)")  //
      ("registry", po::value(&registry_path), "the stack registry (default interop/stacks.yaml)")  //
      ("expectations", po::value(&expectations_path),
       "the expected outcome of every cell (default scenarios/interop/expected.yaml)")  //
      ("deadline-ms", po::value(&deadline_ms)->default_value(deadline_ms),
       "a cell's processes are all killed after this long");
  auto vm = parse("interop", args, opts);
  if (!vm) return kOk;
  check_output_file(json_path, "--json");
  if (deadline_ms < 2000) throw UsageError("--deadline-ms must be at least 2000");
  if (pairs != "same" && pairs != "cross" && pairs != "all") throw UsageError("--pairs must be same, cross or all");

  const auto registry = load_registry(registry_path);
  const auto expected = load_expectations(expectations_path);
  std::vector<const Stack*> chosen;
  std::vector<std::string> unknown;
  if (stacks_arg.empty())
    for (const auto& s : registry) chosen.push_back(&s);
  for (const auto& name : split_list(stacks_arg)) {
    auto it = std::find_if(registry.begin(), registry.end(), [&](const Stack& s) { return s.name == name; });
    if (it == registry.end()) throw UsageError("unknown stack '" + name + "' (" + registry_path + ")");
    chosen.push_back(&*it);
  }
  const auto attacks = split_list(attacks_arg);
  if (chosen.empty() || attacks.empty()) throw UsageError("nothing to run");

  fs::path work = work_dir.empty() ? fs::temp_directory_path() / ("sigtrust-interop-" + std::to_string(getpid()))
                                   : fs::path(work_dir);
  fs::create_directories(work);
  const std::string self = fs::read_symlink("/proc/self/exe").string();

  json doc = {{"tool", "sigtrust interop"}, {"stacks", json::array()}, {"cells", json::array()}};
  std::map<std::string, std::string> versions;
  std::vector<std::string> missing;
  for (const Stack* s : chosen) {
    const std::string v = probe_version(*s, work);
    doc["stacks"].push_back({{"name", s->name}, {"version", v}, {"present", !v.empty()}});
    if (v.empty()) {
      missing.push_back(s->name);
      std::cout << s->name << ": MISSING (its version probe failed: " << s->version.front() << " …)\n";
    } else {
      versions[s->name] = v;
    }
  }

  int deviations = 0;
  // Offerer × answerer, in the order of --stacks (or of the registry).
  std::vector<std::pair<const Stack*, const Stack*>> cells;
  for (const Stack* a : chosen)
    for (const Stack* b : chosen)
      if ((a == b && pairs != "cross") || (a != b && pairs != "same")) cells.emplace_back(a, b);
  for (const auto& [off, ans] : cells) {
    if (!versions.count(off->name) || !versions.count(ans->name)) continue;
    const std::string pair = off->name + "/" + ans->name;
    for (const auto& attack : attacks) {
      if (stop && stop->load()) break;
      CellResult r = run_cell(self, *off, *ans, attack, work / pair / attack, deadline_ms, stop);
      const Expectation* e = nullptr;
      if (auto p = expected.find(pair); p != expected.end())
        if (auto c = p->second.find(attack); c != p->second.end()) e = &c->second;
      const bool met = e && e->outcome == r.outcome;
      if (!met) ++deviations;
      std::cout << std::left << std::setw(36) << (pair + " × " + attack) << " " << r.outcome;
      if (e) std::cout << (met ? "" : "  DEVIATION: expected " + e->outcome);
      else std::cout << "  DEVIATION: no expectation in " << expectations_path;
      std::cout << "  (" << std::fixed << std::setprecision(1) << r.seconds << " s)\n";
      if (!r.failure.empty()) std::cout << "    " << r.failure << "\n" << r.stderr_tail << "\n";
      doc["cells"].push_back(
          {{"offerer", r.offerer},
           {"answerer", r.answerer},
           {"attack", attack},
           {"outcome", r.outcome},
           {"why", r.why},
           {"expected", e ? json(e->outcome) : json(nullptr)},
           {"expected_reason", e ? json(e->reason) : json(nullptr)},
           {"expected_version", e ? json(e->version) : json(nullptr)},
           {"version", off == ans ? versions[off->name] : versions[off->name] + " / " + versions[ans->name]},
           {"met", met},
           {"seconds", r.seconds},
           {"failure", r.failure},
           {"stderr_tail", r.stderr_tail}});
    }
  }
  doc["summary"] = {{"cells", doc["cells"].size()}, {"deviations", deviations}, {"missing_stacks", missing}};
  if (!json_path.empty()) std::ofstream(json_path) << doc.dump(2) << "\n";
  if (work_dir.empty()) fs::remove_all(work);
  std::cout << doc["cells"].size() << " cell(s), " << deviations << " deviation(s)"
            << (missing.empty() ? "" : ", missing stack(s) " + json(missing).dump()) << "\n";
  if (!missing.empty()) return kUsage;
  return deviations ? kDeviation : kOk;
}

}  // namespace sigtrust::cli
