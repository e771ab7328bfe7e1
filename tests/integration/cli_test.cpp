// The `sigtrust` command as a user runs it: exit statuses and messages.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int status = -1;
  std::string out, err;
};

// `env` ("NAME=value ...") is put before the command.
Ran sigtrust_cli(const std::string& args, const std::string& env = "") {
  const fs::path err_file = fs::temp_directory_path() / ("sigtrust-cli-" + std::to_string(::getpid()) + ".err");
  const std::string cmd =
      (env.empty() ? "" : "env " + env + " ") + std::string(SIGTRUST_BINARY) + " " + args + " 2>" + err_file.string();
  Ran r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = testing::read_text(err_file.string());
  fs::remove(err_file);
  return r;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// Each broken scenario file exits 2 with file:line:column and what was
// expected; the message is the golden `.expect` next to it.
class BadScenario : public ::testing::TestWithParam<std::string> {};

// Exit status and peak memory of `sigtrust run FILE` (wait4's rusage). How
// long a refusal takes is a timing target: bench/micro_bench.cpp
// (scenario/load-bad-files), not an assertion here.
struct Measured {
  int status = -1;
  long max_rss_kb = 0;
};

Measured measure_run(const std::string& file) {
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(SIGTRUST_BINARY, SIGTRUST_BINARY, "run", "--no-isolate", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int st = 0;
  rusage usage{};
  wait4(pid, &st, 0, &usage);
  Measured m;
  m.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  m.max_rss_kb = usage.ru_maxrss;
  return m;
}

TEST_P(BadScenario, ExitsTwoWithLocatedMessage) {
  const std::string dir = SIGTRUST_TEST_DATA "/bad-scenarios/";
  const std::string name = GetParam();
  std::string expected = first_line(testing::read_text(dir + name + ".expect"));
  ASSERT_FALSE(expected.empty()) << "missing " << name << ".expect";
  const auto r = sigtrust_cli("run " + dir + name + ".yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(first_line(r.err), dir + expected);
  EXPECT_TRUE(r.out.empty()) << "nothing runs when input is bad";
  // In bounded memory, whatever the file holds (alias bombs, deep nesting, ...).
  const Measured m = measure_run(dir + name + ".yaml");
  EXPECT_EQ(m.status, 2);
  EXPECT_LT(m.max_rss_kb, 200 * 1024);
}

// Over 1 MiB: refused before parsing, also in bounded memory.
TEST(Cli, VeryLargeScenarioFileIsRefusedFastInBoundedMemory) {
  const fs::path file = fs::temp_directory_path() / ("sigtrust-large-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(file);
    out << "name: large\ndescription: \"";
    out << std::string(3 * 1024 * 1024, 'x') << "\"\n";
  }
  const auto r = sigtrust_cli("run " + file.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(file.string() + ":1:1:"), std::string::npos) << r.err;
  const Measured m = measure_run(file.string());
  EXPECT_EQ(m.status, 2);
  EXPECT_LT(m.max_rss_kb, 200 * 1024);
  fs::remove(file);
}

std::vector<std::string> bad_scenarios() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(SIGTRUST_TEST_DATA "/bad-scenarios"))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadScenario, ::testing::ValuesIn(bad_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Cli, HonestScenarioExitsZeroAndWritesTheResultDocument) {
  const fs::path json = fs::temp_directory_path() / ("sigtrust-cli-" + std::to_string(::getpid()) + ".json");
  const auto r = sigtrust_cli("run " SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml --json " + json.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("secure"), std::string::npos);
  const auto doc = nlohmann::json::parse(testing::read_text(json.string()));
  fs::remove(json);
  EXPECT_EQ(doc["tool"], "sigtrust");
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["outcome"], "secure");
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["peers"]["alice"]["dtls_peer_owner"], "bob");
  EXPECT_EQ(doc["summary"]["expectations_failed"], 0);
}

TEST(Cli, FailedExpectationExitsOneAndStillWritesJson) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "wrong.yaml") << testing::two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "secure");
  const auto r = sigtrust_cli("run " + (dir / "wrong.yaml").string() + " --json " + (dir / "o.json").string());
  EXPECT_EQ(r.status, 1);
  const auto doc = nlohmann::json::parse(testing::read_text((dir / "o.json").string()));
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["outcome"], "mitm-undetected");
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["pass"], false);
  EXPECT_EQ(doc["summary"]["expectations_failed"], 1);
  fs::remove_all(dir);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(sigtrust_cli("").status, 2);
  EXPECT_EQ(sigtrust_cli("frobnicate").status, 2);
  EXPECT_EQ(sigtrust_cli("run").status, 2);
  EXPECT_EQ(sigtrust_cli("run --no-such-flag x.yaml").status, 2);
  EXPECT_EQ(sigtrust_cli("list colours").status, 2);
  const auto missing = sigtrust_cli("run /nonexistent/file.yaml");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("/nonexistent/file.yaml:1:1:"), std::string::npos) << missing.err;
}

TEST(Cli, ListsTheStableNames) {
  const auto attacks = sigtrust_cli("list attacks");
  EXPECT_EQ(attacks.status, 0);
  for (const char* n : {"none", "swap-mitm", "strip-mitm", "append-mitm", "prepend-mitm", "downgrade-mitm",
                        "hash-swap-mitm", "fingerprint-only", "setup-flip", "drop-answer"})
    EXPECT_NE(attacks.out.find(n), std::string::npos) << n;
  EXPECT_NE(attacks.out.find("hash (sha-1|md5, default sha-1)"), std::string::npos) << attacks.out;
  const auto trust = sigtrust_cli("list trust");
  EXPECT_EQ(trust.status, 0);
  for (const char* n : {"no-verification", "sdp-fingerprint", "sdp-fingerprint-first", "sdp-fingerprint-last"})
    EXPECT_NE(trust.out.find(n), std::string::npos) << n;
  const auto scenarios = sigtrust_cli("list scenarios");
  EXPECT_EQ(scenarios.status, 0);
  // Listed by the names `run` and `validate` accept.
  EXPECT_NE(scenarios.out.find("\nhonest "), std::string::npos) << scenarios.out;
  EXPECT_NE(scenarios.out.find("\nswap-mitm "), std::string::npos) << scenarios.out;
  EXPECT_EQ(scenarios.out.find("invalid"), std::string::npos) << scenarios.out;
}

TEST(Cli, EveryCommandHasItsOwnHelp) {
  for (const char* cmd : {"run", "validate", "report", "matrix", "relay", "interop", "list", "doctor"}) {
    const auto r = sigtrust_cli(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd << ": " << r.err;
    EXPECT_EQ(r.out.rfind(std::string("usage: sigtrust ") + cmd, 0), 0u) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_EQ(sigtrust_cli(std::string("help ") + cmd).out, r.out) << "'help " << cmd << "' is '" << cmd << " --help'";
  }
  EXPECT_NE(sigtrust_cli("run --help").out.find("--report-dir"), std::string::npos);
  EXPECT_NE(sigtrust_cli("matrix -h").out.find("--report-dir"), std::string::npos);
}

TEST(Cli, HelpListsEveryCommandAndVersion) {
  const auto r = sigtrust_cli("help");
  EXPECT_EQ(r.status, 0);
  for (const char* n :
       {"run FILE|NAME", "validate FILE", "report RESULT", "matrix", "relay", "interop", "list", "doctor", "--version"})
    EXPECT_NE(r.out.find(n), std::string::npos) << n << " in\n" << r.out;
  const auto v = sigtrust_cli("--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("sigtrust ", 0), 0u) << v.out;
}

// A usage error is the message and the command's synopsis, not the whole help.
TEST(Cli, UsageErrorsAreShort) {
  const auto r = sigtrust_cli("run --no-such-flag x.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
  EXPECT_NE(r.err.find("no-such-flag"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'sigtrust run --help'"), std::string::npos) << r.err;
  const auto unknown = sigtrust_cli("rnu");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("did you mean 'run'?"), std::string::npos) << unknown.err;
  EXPECT_LE(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 3) << unknown.err;
}

// Found before anything runs: bad usage (2), not a simulator failure (3).
TEST(Cli, UnwritableOutputPathsExitTwoBeforeRunning) {
  for (const std::string opt : {"--json /nonexistent/o.json", "--key-log /nonexistent/k.log",
                                "--capture /nonexistent/c.pcap", "--report-dir /proc/sigtrust-out", "--json /tmp"}) {
    const auto r = sigtrust_cli("run honest --no-isolate " + opt);
    EXPECT_EQ(r.status, 2) << opt << ": " << r.err;
    EXPECT_NE(r.err.find(opt.substr(0, opt.find(' '))), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << "nothing ran: " << r.out;
  }
  EXPECT_EQ(sigtrust_cli("matrix --attacks none --trust sdp-fingerprint --json /nonexistent/m.json").status, 2);
}

// sdp-rules acts only from a scenario file's rules: the matrix says so instead of running nothing.
TEST(Cli, MatrixRefusesTheDeclarativeAttackWithWhy) {
  const auto r = sigtrust_cli("matrix --attacks sdp-rules --trust sdp-fingerprint");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("attack 'sdp-rules' has no matrix cells"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(Cli, CatalogueScenariosRunByName) {
  const fs::path json = fs::temp_directory_path() / ("sigtrust-byname-" + std::to_string(::getpid()) + ".json");
  const auto r = sigtrust_cli("run honest --no-isolate --json " + json.string());
  EXPECT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(json.string()));
  EXPECT_EQ(doc["runs"][0]["scenario"], "honest");
  EXPECT_EQ(doc["runs"][0]["file"], SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml");
  fs::remove(json);
  EXPECT_EQ(sigtrust_cli("validate swap-mitm.yaml").status, 0);
  const auto unknown = sigtrust_cli("run no-such-scenario");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("no-such-scenario:1:1: cannot read"), std::string::npos) << unknown.err;
}

TEST(Cli, ValidateChecksWithoutRunning) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-validate-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "good.yaml") << testing::two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "secure");
  std::ofstream(dir / "bad.yaml") << testing::two_peer_yaml("sdp-fingerprint", "{attack: turn-mitm}", "secure");
  const auto ok = sigtrust_cli("validate " + (dir / "good.yaml").string());
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("good.yaml: valid: scenario t, attack swap-mitm, 2 peer(s), 1 session(s)"), std::string::npos)
      << ok.out;
  const auto bad = sigtrust_cli("validate " + (dir / "good.yaml").string() + " " + (dir / "bad.yaml").string());
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find((dir / "bad.yaml").string() + ":6:17: attack 'turn-mitm' sits at the TURN position"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.out.find("good.yaml: valid"), std::string::npos) << "every file is checked";
  fs::remove_all(dir);
  // The whole catalogue is valid.
  const auto catalogue = sigtrust_cli("validate " SIGTRUST_SOURCE_DIR "/scenarios/*.yaml");
  EXPECT_EQ(catalogue.status, 0) << catalogue.err;
}

TEST(Cli, ListJsonIsMachineReadable) {
  const auto attacks = nlohmann::json::parse(sigtrust_cli("list attacks --json").out);
  ASSERT_TRUE(attacks.is_array());
  bool swap = false, hash = false;
  for (const auto& a : attacks) {
    if (a["name"] == "swap-mitm") swap = a["bridges"] == true && a["position"] == "signaling";
    if (a["name"] == "downgrade-mitm") hash = a["params"][0]["name"] == "hash" && a["params"][0]["default"] == "sha-1";
    if (a["name"] == "fingerprint-only") {
      EXPECT_EQ(a["bridges"], false);
    }
  }
  EXPECT_TRUE(swap);
  EXPECT_TRUE(hash);
  const auto trust = nlohmann::json::parse(sigtrust_cli("list trust --json").out);
  bool sas = false;
  for (const auto& t : trust)
    if (t["name"] == "sas") sas = t["needs_out_of_band"] == true && t["params"][0]["name"] == "miss-rate";
  EXPECT_TRUE(sas) << trust.dump(2);
  const auto scenarios = nlohmann::json::parse(sigtrust_cli("list scenarios --json").out);
  bool found = false;
  for (const auto& sc : scenarios) found = found || (sc["name"] == "swap-mitm" && sc["attack"] == "swap-mitm");
  EXPECT_TRUE(found) << scenarios.dump(2);
}

TEST(Cli, ListTrustShowsParameters) {
  const auto trust = sigtrust_cli("list trust");
  EXPECT_NE(trust.out.find("miss-rate (number, default"), std::string::npos) << trust.out;
}

// DTLS secrets decrypt every session: owner-only, even over a file that was world-readable.
TEST(Cli, KeyLogsAreWrittenOwnerOnly) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-keys-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path key_log = dir / "k.log";
  std::ofstream(key_log) << "old\n";
  fs::permissions(key_log, fs::perms::all);
  const auto r =
      sigtrust_cli("run honest --no-isolate --key-log " + key_log.string() + " --report-dir " + (dir / "out").string());
  EXPECT_EQ(r.status, 0) << r.err;
  for (const fs::path& p : {key_log, dir / "out" / "keys.log"}) {
    ASSERT_TRUE(fs::exists(p)) << p;
    EXPECT_EQ(fs::status(p).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write) << p;
    EXPECT_NE(testing::read_text(p.string()).find("CLIENT_RANDOM"), std::string::npos) << p;
  }
  fs::remove_all(dir);
}

TEST(Cli, MatrixWritesAReportDirectory) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-matrix-dir-" + std::to_string(::getpid()));
  const auto r =
      sigtrust_cli("matrix --no-isolate --attacks none --trust sdp-fingerprint -q --report-dir " + dir.string());
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* f : {"result.json", "report.html", "report.md", "junit.xml", "results.sarif"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  fs::remove_all(dir);
}

TEST(Cli, DoctorNamesWhatIsMissingAndHowToFixIt) {
  const auto ok = sigtrust_cli("doctor --no-isolate");
  EXPECT_NE(ok.out.find("\u2714 turnserver (coturn): /"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("isolation: off"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("packet capture on lo"), std::string::npos) << ok.out;
  // Without turnserver on PATH: doctor says so, and a TURN run fails naming it.
  const auto missing = sigtrust_cli("doctor --no-isolate", "PATH=/nonexistent");
  EXPECT_EQ(missing.status, 1) << missing.out;
  EXPECT_NE(missing.out.find("\u2718 turnserver (coturn): not on PATH"), std::string::npos) << missing.out;
  EXPECT_NE(missing.out.find("fix: apt-get install coturn"), std::string::npos) << missing.out;
  const auto run = sigtrust_cli("run turn-relay --no-isolate", "PATH=/nonexistent");
  EXPECT_EQ(run.status, 3) << run.out << run.err;
  EXPECT_NE(run.out.find("turnserver (coturn) is not on PATH"), std::string::npos) << run.out;
}

// The published schema (docs/result.schema.json) holds for what the tool writes.
TEST(Cli, ResultDocumentMatchesItsPublishedSchema) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-schema-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto r =
      sigtrust_cli("run honest swap-mitm tofu-poisoned sas-grind --no-isolate -q --json " + (dir / "a.json").string());
  EXPECT_EQ(r.status, 0) << r.err;
  const auto b = sigtrust_cli("run honest --no-isolate -q --baseline " + (dir / "a.json").string() + " --json " +
                              (dir / "b.json").string());
  EXPECT_EQ(b.status, 0) << b.err;
  for (const char* f : {"a.json", "b.json"}) {
    const auto doc = nlohmann::json::parse(testing::read_text((dir / f).string()));
    EXPECT_EQ(doc["schema_version"], 1);
    const std::string cmd =
        "/usr/bin/python3 -c 'import json, sys, jsonschema; "
        "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2]))); "
        "print(\"valid\")' " SIGTRUST_SOURCE_DIR "/docs/result.schema.json " +
        (dir / f).string() + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
    EXPECT_EQ(pclose(p), 0) << out;
    EXPECT_EQ(out, "valid\n") << f;
  }
  fs::remove_all(dir);
}

// sas-grind-mitm's search is in the result document and in what `run`
// prints: how many key shares it tried and whether one matched; other
// attacks grind nothing and say so with null.
TEST(Cli, GrindTriesAndMatchAreInTheResultDocumentAndTheText) {
  const fs::path json = fs::temp_directory_path() / ("sigtrust-grind-" + std::to_string(::getpid()) + ".json");
  const auto r = sigtrust_cli("run sas-grind swap-mitm --no-isolate --json " + json.string());
  EXPECT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(json.string()));
  fs::remove(json);
  ASSERT_EQ(doc["runs"].size(), 2u);
  const auto& grind = doc["runs"][0]["sessions"][0]["attacker"];
  ASSERT_TRUE(grind["grind_tries"].is_number_unsigned()) << grind.dump();
  const auto tries = grind["grind_tries"].get<std::uint64_t>();
  EXPECT_GE(tries, 1u);
  EXPECT_LE(tries, 4096u);  // the budget of scenarios/sas-grind.yaml
  EXPECT_EQ(grind["grind_matched"], true);
  EXPECT_NE(r.out.find("the attacker tried " + std::to_string(tries) + " key share"), std::string::npos) << r.out;
  const auto& swap = doc["runs"][1]["sessions"][0]["attacker"];
  EXPECT_TRUE(swap.contains("grind_tries") && swap["grind_tries"].is_null()) << swap.dump();
  EXPECT_TRUE(swap.contains("grind_matched") && swap["grind_matched"].is_null()) << swap.dump();
}

TEST(Cli, DiffAndBaselineShowOnlyWhatChanged) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-diff-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // The same scenario, once expecting the wrong outcome: pass changes, the outcome does not.
  std::ofstream(dir / "s.yaml") << testing::two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected");
  ASSERT_EQ(sigtrust_cli("run --no-isolate -q " + (dir / "s.yaml").string() + " --json " + (dir / "old.json").string())
                .status,
            0);
  std::ofstream(dir / "s.yaml") << testing::two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "secure");
  const auto now = sigtrust_cli("run --no-isolate " + (dir / "s.yaml").string() + " honest --baseline " +
                                (dir / "old.json").string() + " --json " + (dir / "new.json").string() +
                                " --report-dir " + (dir / "out").string());
  EXPECT_EQ(now.status, 1);
  EXPECT_NE(now.out.find("changed  t | swap-mitm | sdp-fingerprint | alice -> bob | round 0: mitm-undetected (pass) -> "
                         "mitm-undetected (FAIL)\n"),
            std::string::npos)
      << now.out;
  EXPECT_NE(now.out.find("new      honest | none | sdp-fingerprint | alice -> bob | round 0: secure (pass)\n"),
            std::string::npos)
      << now.out;
  EXPECT_NE(now.out.find("1 changed, 1 new, 0 gone, 0 unchanged\n"), std::string::npos) << now.out;
  EXPECT_EQ(now.out.find("saw certificate"), std::string::npos) << "only the changes: " << now.out;
  const auto doc = nlohmann::json::parse(testing::read_text((dir / "new.json").string()));
  EXPECT_EQ(doc["runs"][0]["sessions"][0]["baseline"]["state"], "updated");
  EXPECT_EQ(doc["runs"][1]["sessions"][0]["baseline"]["state"], "new");
  const auto sarif = nlohmann::json::parse(testing::read_text((dir / "out" / "results.sarif").string()));
  EXPECT_EQ(sarif["runs"][0]["results"][0]["baselineState"], "updated") << sarif.dump(2);

  const auto diff = sigtrust_cli("diff " + (dir / "old.json").string() + " " + (dir / "new.json").string());
  EXPECT_EQ(diff.status, 1);
  EXPECT_NE(diff.out.find("1 changed, 1 new, 0 gone, 0 unchanged"), std::string::npos) << diff.out;
  const auto same = sigtrust_cli("diff " + (dir / "old.json").string() + " " + (dir / "old.json").string());
  EXPECT_EQ(same.status, 0);
  EXPECT_EQ(same.out, "0 changed, 0 new, 0 gone, 1 unchanged\n");
  EXPECT_EQ(sigtrust_cli("diff " + (dir / "old.json").string() + " /nonexistent.json").status, 2);
  EXPECT_EQ(sigtrust_cli("run honest --baseline /nonexistent.json").status, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sigtrust
