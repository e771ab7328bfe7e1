// Sharding end to end with the binary: the matrix split into 3 shards run in
// 3 processes at once and merged gives the cells and outcomes of one
// unsharded run; `report merge` refuses a missing shard and a duplicate cell
// with exit 2; `--shard auto` reads GitLab's and Kubernetes' variables.
// `sigtrust interop --shard` the same way, over stand-in stacks (sh adapters
// that connect to nothing: each cell `failed`, as their expectations say), so
// no real stack is needed; tests/interop/interop_shard.test.mjs runs a real one.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Ran {
  int status = -1;
  std::string out, err;
};

// `script` through sh, in `dir`; stdout and stderr collected.
Ran sh(const fs::path& dir, const std::string& script) {
  const fs::path err_file = dir / "stderr.txt";
  const std::string cmd = "cd '" + dir.string() + "' && { " + script + "; } 2>'" + err_file.string() + "'";
  Ran r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = testing::read_text(err_file.string());
  return r;
}

json load(const fs::path& file) { return json::parse(testing::read_text(file.string())); }

// cell -> (outcome of each session, pass of each session)
std::map<std::string, std::string> outcomes(const json& doc) {
  std::map<std::string, std::string> out;
  for (const auto& run : doc.at("runs")) {
    std::string o;
    for (const auto& s : run.at("sessions"))
      o += s.at("outcome").get<std::string>() + (s.at("pass").get<bool>() ? " pass; " : " FAIL; ");
    out[run.at("cell").get<std::string>()] = o;
  }
  return out;
}

const std::string kBin = SIGTRUST_BINARY;
// No shard variables from the machine running the tests (a GitLab job has them).
const std::string kCleanEnv = "env -u CI_NODE_INDEX -u CI_NODE_TOTAL -u JOB_COMPLETION_INDEX -u SIGTRUST_SHARDS ";

class Sharding : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sigtrust-shard-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

// One test, because it needs the whole matrix four times over (unsharded and
// three shards); each CTest case is a process of its own.
TEST_F(Sharding, MatrixAsThreeShardProcessesMergesLikeOneRunAndMergeRefusesMissingShardOrDuplicateCell) {
  const auto unsharded = sh(dir_, kBin + " matrix --jobs 2 --json all.json -q");
  ASSERT_EQ(unsharded.status, 0) << unsharded.err;
  // Three processes at once, as three CI jobs would run them.
  std::string script;
  for (int k = 1; k <= 3; ++k)
    script += "{ " + kBin + " matrix --shard " + std::to_string(k) + "/3 --jobs 1 --json s" + std::to_string(k) +
              ".json -q; echo $? > s" + std::to_string(k) + ".status; } & ";
  const auto shards = sh(dir_, script + "wait");
  for (int k = 1; k <= 3; ++k)
    ASSERT_EQ(testing::read_text((dir_ / ("s" + std::to_string(k) + ".status")).string()), "0\n")
        << "shard " << k << ": " << shards.err;
  const json all = load(dir_ / "all.json");

  // Each shard says which it is, of how many, and what it was checked against.
  std::set<std::string> seen;
  std::size_t in_shards = 0;
  for (int k = 1; k <= 3; ++k) {
    const json s = load(dir_ / ("s" + std::to_string(k) + ".json"));
    EXPECT_EQ(s.at("shard").at("index"), k);
    EXPECT_EQ(s.at("shard").at("total"), 3);
    EXPECT_EQ(s.at("shard").at("command"), "matrix");
    EXPECT_EQ(s.at("shard").at("plan").at("cells").size(), all.at("runs").size());
    EXPECT_EQ(s.at("expectations"), all.at("expectations"));
    EXPECT_EQ(s.at("expectations").at("sha256").get<std::string>().size(), 64u);
    EXPECT_FALSE(s.at("runs").empty()) << "shard " << k << " ran nothing";
    for (const auto& run : s.at("runs"))
      EXPECT_TRUE(seen.insert(run.at("cell")).second) << run.at("cell") << " in two shards";
    in_shards += s.at("runs").size();
  }
  EXPECT_EQ(in_shards, all.at("runs").size());

  {
    SCOPED_TRACE("merge: the unsharded run's cells and outcomes, in its order");
    const auto r = sh(dir_, kBin + " report merge s3.json s1.json s2.json --json merged.json --report-dir merged -q");
    ASSERT_EQ(r.status, 0) << r.err;
    const json merged = load(dir_ / "merged.json");
    EXPECT_EQ(outcomes(merged), outcomes(all));
    ASSERT_EQ(merged.at("runs").size(), all.at("runs").size());
    for (std::size_t i = 0; i < all.at("runs").size(); ++i)
      EXPECT_EQ(merged.at("runs")[i].at("cell"), all.at("runs")[i].at("cell"));
    EXPECT_EQ(merged.at("summary").at("runs"), all.at("summary").at("runs"));
    EXPECT_EQ(merged.at("summary").at("expectations_failed"), all.at("summary").at("expectations_failed"));
    for (const char* f : {"result.json", "report.md", "report.html", "junit.xml", "results.sarif"})
      EXPECT_GT(fs::file_size(dir_ / "merged" / f), 100u) << f;
  }
  {
    SCOPED_TRACE("the merged document renders in every format");
    for (const char* f : {"terminal", "markdown", "html", "junit", "sarif", "json"}) {
      const auto r = sh(dir_, kBin + " report merged.json --format " + f);
      EXPECT_EQ(r.status, 0) << f << ": " << r.err;
      EXPECT_NE(r.out.find("swap-mitm"), std::string::npos) << f;
    }
  }
  {
    SCOPED_TRACE("a missing shard: exit 2, naming the shard and a cell of it");
    const auto r = sh(dir_, kBin + " report merge s1.json s3.json --json nothing.json");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("missing shard 2/3"), std::string::npos) << r.err;
    const json s2 = load(dir_ / "s2.json");
    EXPECT_NE(r.err.find(s2.at("runs")[0].at("cell").get<std::string>()), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "nothing.json"));
  }
  {
    SCOPED_TRACE("a duplicate cell: exit 2, naming the file, the cell and the other file");
    fs::copy_file(dir_ / "s2.json", dir_ / "s2-again.json");
    const auto r = sh(dir_, kBin + " report merge s1.json s2.json s3.json s2-again.json");
    EXPECT_EQ(r.status, 2);
    const json s2 = load(dir_ / "s2.json");
    EXPECT_NE(r.err.find("s2-again.json: duplicate cell " + s2.at("runs")[0].at("cell").get<std::string>() +
                         " (also in s2.json)"),
              std::string::npos)
        << r.err;
  }
  {
    SCOPED_TRACE("a shard of another version: exit 2");
    json s3 = load(dir_ / "s3.json");
    s3["version"] = "0.0.0-elsewhere";
    std::ofstream(dir_ / "old.json") << s3.dump();
    const auto r = sh(dir_, kBin + " report merge s1.json s2.json old.json");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("old.json: written by sigtrust 0.0.0-elsewhere"), std::string::npos) << r.err;
  }
}

TEST_F(Sharding, MergeExitsAsTheUnshardedRunWhenAnExpectationFails) {
  // One cell's expectation changed in the file: the shard holding it fails
  // (exit 1) and so does the merge, like the unsharded run.
  const std::string expected = testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/matrix/expected.yaml");
  const std::string from = "  sas: {expect: detected";
  const auto at = expected.find(from, expected.find("\nswap-mitm:"));
  ASSERT_NE(at, std::string::npos);
  std::string changed = expected;
  changed.replace(at, from.size(), "  sas: {expect: secure");
  std::ofstream(dir_ / "expected.yaml") << changed;
  const std::string cells =
      " --attacks none,swap-mitm --trust sas,sdp-fingerprint --expectations expected.yaml --jobs 1 -q";
  const auto whole = sh(dir_, kBin + " matrix" + cells + " --json all.json");
  EXPECT_EQ(whole.status, 1) << whole.err;
  int failed_shards = 0;
  for (int k = 1; k <= 2; ++k) {
    const auto r = sh(
        dir_, kBin + " matrix" + cells + " --shard " + std::to_string(k) + "/2 --json s" + std::to_string(k) + ".json");
    EXPECT_TRUE(r.status == 0 || r.status == 1) << r.err;
    failed_shards += r.status == 1;
  }
  EXPECT_EQ(failed_shards, 1);
  const auto merged = sh(dir_, kBin + " report merge s1.json s2.json --json merged.json");
  EXPECT_EQ(merged.status, 1) << merged.err;
  EXPECT_EQ(outcomes(load(dir_ / "merged.json")), outcomes(load(dir_ / "all.json")));
}

TEST_F(Sharding, AutoWithoutACiEnvironmentExitsTwoSayingWhatToSet) {
  const auto r = sh(dir_, kCleanEnv + kBin + " matrix --shard auto --attacks none --json x.json");
  EXPECT_EQ(r.status, 2);
  for (const char* var : {"CI_NODE_INDEX", "CI_NODE_TOTAL", "JOB_COMPLETION_INDEX", "SIGTRUST_SHARDS"})
    EXPECT_NE(r.err.find(var), std::string::npos) << var << " not named: " << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
  const auto bad = sh(dir_, kCleanEnv + kBin + " matrix --shard 4/3 --attacks none");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("not between 1 and 3"), std::string::npos) << bad.err;
}

TEST_F(Sharding, AutoTakesGitLabAndKubernetesIndexes) {
  const std::string cells = " matrix --shard auto --attacks none --trust sas,tofu,sdp-fingerprint -q --json ";
  auto r = sh(dir_, kCleanEnv + "CI_NODE_INDEX=2 CI_NODE_TOTAL=3 " + kBin + cells + "gitlab.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(load(dir_ / "gitlab.json").at("shard").at("index"), 2);
  EXPECT_EQ(load(dir_ / "gitlab.json").at("shard").at("total"), 3);
  r = sh(dir_, kCleanEnv + "JOB_COMPLETION_INDEX=0 SIGTRUST_SHARDS=2 " + kBin + cells + "k8s.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(load(dir_ / "k8s.json").at("shard").at("index"), 1);  // Kubernetes counts from 0
  EXPECT_EQ(load(dir_ / "k8s.json").at("shard").at("total"), 2);
}

TEST_F(Sharding, RunSplitsItsFilesAndMergesToTheUnshardedRun) {
  std::string files;
  for (const char* f : {"honest.yaml", "swap-mitm.yaml", "strip-mitm.yaml", "fingerprint-only.yaml", "sas.yaml"})
    files += std::string(" ") + SIGTRUST_SOURCE_DIR + "/scenarios/" + f;
  const auto whole = sh(dir_, kBin + " run -q" + files + " --json all.json");
  ASSERT_EQ(whole.status, 0) << whole.err;
  for (int k = 1; k <= 2; ++k) {
    const auto r = sh(
        dir_, kBin + " run -q" + files + " --shard " + std::to_string(k) + "/2 --json s" + std::to_string(k) + ".json");
    ASSERT_EQ(r.status, 0) << r.err;
    const json s = load(dir_ / ("s" + std::to_string(k) + ".json"));
    EXPECT_EQ(s.at("shard").at("command"), "run");
    EXPECT_EQ(s.at("expectations").at("files").size(), 5u);
  }
  const auto merged = sh(dir_, kBin + " report merge s2.json s1.json --json merged.json -q");
  ASSERT_EQ(merged.status, 0) << merged.err;
  const json all = load(dir_ / "all.json"), m = load(dir_ / "merged.json");
  EXPECT_EQ(outcomes(m), outcomes(all));
  for (std::size_t i = 0; i < all.at("runs").size(); ++i)
    EXPECT_EQ(m.at("runs")[i].at("cell"), all.at("runs")[i].at("cell"));
  // A file given twice cannot be split.
  const auto twice = sh(dir_, kBin + " run" + files + files + " --shard 1/2");
  EXPECT_EQ(twice.status, 2);
  EXPECT_NE(twice.err.find("given twice"), std::string::npos) << twice.err;
}

// Stand-in stacks for `sigtrust interop`: adapters that print their exit
// event and end without joining the room, so the relay judges no session and
// the cell is `failed` (what the expectations below say, but for one cell).
// "absent" is missing on this machine (its version probe fails).
void write_stand_in_stacks(const fs::path& dir) {
  std::ofstream(dir / "stacks.yaml") << R"(a:
  command: [sh, -c, 'echo "{\"event\":\"exit\"}"']
  version: [echo, a 1.0]
b:
  command: [sh, -c, 'echo "{\"event\":\"exit\"}"']
  version: [echo, b 1.0]
absent:
  command: [sh, -c, 'exit 1']
  version: [sh, -c, 'exit 1']
)";
  std::string expected;
  for (const char* pair : {"a/a", "a/b", "b/a", "b/b"}) {
    expected += std::string(pair) + ":\n";
    for (const char* attack : {"none", "swap-mitm"}) {
      // One deviation: a/b under none is expected secure, so the whole interop exits 1.
      const bool deviation = std::string(pair) == "a/b" && std::string(attack) == "none";
      expected += std::string("  ") + attack + ": {outcome: " + (deviation ? "secure" : "failed") +
                  ", reason: stand-in, version: stand-in}\n";
    }
  }
  std::ofstream(dir / "expected.yaml") << expected;
}

// cell -> outcome and whether it met its expectation
std::map<std::string, std::string> interop_outcomes(const json& doc) {
  std::map<std::string, std::string> out;
  for (const auto& c : doc.at("cells"))
    out[c.at("cell").get<std::string>()] =
        c.at("outcome").get<std::string>() + (c.at("met").get<bool>() ? " met" : " DEVIATION");
  return out;
}

TEST_F(Sharding, InteropSplitsItsCellsAndMergesToTheUnshardedRunWithItsExitStatus) {
  write_stand_in_stacks(dir_);
  const std::string interop = kCleanEnv + kBin +
                              " interop --registry stacks.yaml --expectations expected.yaml --stacks a,b --pairs all "
                              "--attacks none,swap-mitm --deadline-ms 2000";
  const auto whole = sh(dir_, interop + " --json all.json");
  ASSERT_EQ(whole.status, 1) << whole.out << whole.err;  // the one deviation
  const json all = load(dir_ / "all.json");
  ASSERT_EQ(all.at("cells").size(), 8u);
  EXPECT_EQ(all.at("command"), "interop");
  EXPECT_EQ(all.at("expectations").at("sha256").get<std::string>().size(), 64u);
  int deviating_shards = 0;
  std::set<std::string> seen;
  for (int k = 1; k <= 2; ++k) {
    const std::string n = std::to_string(k);
    const auto r = sh(dir_, interop + " --shard " + n + "/2 --json s" + n + ".json");
    ASSERT_TRUE(r.status == 0 || r.status == 1) << r.out << r.err;
    deviating_shards += r.status == 1;
    EXPECT_NE(r.out.find("shard " + n + "/2 of 8 cells"), std::string::npos) << r.out;
    const json s = load(dir_ / ("s" + n + ".json"));
    EXPECT_EQ(s.at("shard").at("index"), k);
    EXPECT_EQ(s.at("shard").at("total"), 2);
    EXPECT_EQ(s.at("shard").at("command"), "interop");
    EXPECT_EQ(s.at("shard").at("plan").at("cells").size(), 8u);
    EXPECT_EQ(s.at("expectations"), all.at("expectations"));
    EXPECT_FALSE(s.at("cells").empty()) << "shard " << k << " ran nothing";
    for (const auto& c : s.at("cells")) EXPECT_TRUE(seen.insert(c.at("cell")).second) << c.at("cell");
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(deviating_shards, 1);

  const auto merged = sh(dir_, kBin + " report merge s2.json s1.json --json merged.json --report-dir merged");
  EXPECT_EQ(merged.status, 1) << merged.out << merged.err;  // as the unsharded run
  EXPECT_NE(merged.out.find("8 cell(s), 1 deviation(s)"), std::string::npos) << merged.out;
  const json m = load(dir_ / "merged.json");
  EXPECT_EQ(interop_outcomes(m), interop_outcomes(all));
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(m.at("cells")[i].at("cell"), all.at("cells")[i].at("cell"));
  EXPECT_EQ(m.at("summary"), all.at("summary"));
  EXPECT_EQ(m.at("stacks"), all.at("stacks"));
  for (const char* f : {"result.json", "report.md", "report.html", "junit.xml", "results.sarif"})
    EXPECT_GT(fs::file_size(dir_ / "merged" / f), 100u) << f;
  for (const char* f : {"terminal", "markdown", "html", "junit", "sarif", "json"}) {
    const auto r = sh(dir_, kBin + " report merged.json --format " + f);
    EXPECT_EQ(r.status, 1) << f << ": " << r.err;
    EXPECT_NE(r.out.find("swap-mitm"), std::string::npos) << f;
    // SARIF lists findings only (an attacker in the middle): these stand-ins give none.
    if (std::string(f) != "sarif") {
      EXPECT_NE(r.out.find("a/b/none"), std::string::npos) << f;
    }
  }
}

TEST_F(Sharding, InteropMergeRefusesMissingShardDuplicateCellOtherVersionOrExpectationsAndMixing) {
  write_stand_in_stacks(dir_);
  const std::string interop = kCleanEnv + kBin +
                              " interop --registry stacks.yaml --expectations expected.yaml --stacks a,b --pairs all "
                              "--attacks none,swap-mitm --deadline-ms 2000 --shard ";
  for (int k = 1; k <= 2; ++k) {
    const std::string n = std::to_string(k);
    const auto r = sh(dir_, interop + n + "/2 --json s" + n + ".json");
    ASSERT_TRUE(r.status == 0 || r.status == 1) << r.out << r.err;
  }
  const json s1 = load(dir_ / "s1.json"), s2 = load(dir_ / "s2.json");
  const std::string cell_of_2 = s2.at("cells")[0].at("cell");
  auto refused = [&](const std::string& files, const std::string& why) {
    const auto r = sh(dir_, kBin + " report merge " + files + " --json refused.json");
    EXPECT_EQ(r.status, 2) << files << ": " << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << files << ": " << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "refused.json")) << files;
  };
  refused("s1.json", "missing shard 2/2: none of the documents given is that shard (its cells: " + cell_of_2);
  fs::copy_file(dir_ / "s2.json", dir_ / "s2-again.json");
  refused("s1.json s2.json s2-again.json", "s2-again.json: duplicate cell " + cell_of_2 + " (also in s2.json)");
  json edited = s2;
  edited["version"] = "0.0.0-elsewhere";
  std::ofstream(dir_ / "old.json") << edited.dump();
  refused("s1.json old.json", "old.json: written by sigtrust 0.0.0-elsewhere (its first cell: " + cell_of_2 + ")");
  edited = s2;
  edited["expectations"]["sha256"] = std::string(64, 'e');
  std::ofstream(dir_ / "other.json") << edited.dump();
  refused("s1.json other.json", "other.json: checked against");
  // A run/matrix document beside interop shards.
  const json run{{"tool", "sigtrust"},
                 {"version", s1.at("version")},
                 {"expectations", s1.at("expectations")},
                 {"runs", {{{"cell", "none/sas"}, {"scenario", "none/sas"}, {"sessions", json::array()}}}}};
  std::ofstream(dir_ / "matrix.json") << run.dump();
  refused("s1.json s2.json matrix.json",
          "matrix.json: a run/matrix result document (its first cell: none/sas), but s1.json is an interop result "
          "document");
}

TEST_F(Sharding, InteropShardOptionIsCheckedAsMatrixChecksIt) {
  write_stand_in_stacks(dir_);
  const std::string interop =
      kCleanEnv + kBin + " interop --registry stacks.yaml --expectations expected.yaml --stacks a --json x.json";
  const auto r = sh(dir_, interop + " --shard auto");
  EXPECT_EQ(r.status, 2);
  for (const char* var : {"CI_NODE_INDEX", "CI_NODE_TOTAL", "JOB_COMPLETION_INDEX", "SIGTRUST_SHARDS"})
    EXPECT_NE(r.err.find(var), std::string::npos) << var << " not named: " << r.err;
  const auto bad = sh(dir_, interop + " --shard 4/3");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--shard 4/3: shard 4 is not between 1 and 3"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.json"));
  const auto k8s = sh(dir_, kCleanEnv + "JOB_COMPLETION_INDEX=1 SIGTRUST_SHARDS=2 " + interop.substr(kCleanEnv.size()) +
                                " --pairs same --attacks none,swap-mitm --deadline-ms 2000 --shard auto");
  EXPECT_TRUE(k8s.status == 0 || k8s.status == 1) << k8s.err;
  EXPECT_EQ(load(dir_ / "x.json").at("shard").at("index"), 2);  // Kubernetes counts from 0
}

TEST_F(Sharding, InteropShardsOnAMachineMissingAStackMergeAsTheUnshardedRunExitsTwo) {
  write_stand_in_stacks(dir_);
  std::ofstream(dir_ / "expected.yaml", std::ios::app)
      << "absent/absent:\n  none: {outcome: secure, reason: x, version: x}\n";
  const std::string interop = kCleanEnv + kBin +
                              " interop --registry stacks.yaml --expectations expected.yaml --stacks a,absent "
                              "--attacks none,swap-mitm --deadline-ms 2000";
  const auto whole = sh(dir_, interop + " --json all.json");
  ASSERT_EQ(whole.status, 2) << whole.out << whole.err;
  for (int k = 1; k <= 2; ++k) {
    const std::string n = std::to_string(k);
    EXPECT_EQ(sh(dir_, interop + " --shard " + n + "/2 --json s" + n + ".json").status, 2);
  }
  const auto merged = sh(dir_, kBin + " report merge s1.json s2.json --json merged.json");
  EXPECT_EQ(merged.status, 2) << merged.err;
  EXPECT_NE(merged.out.find("missing stack(s) [\"absent\"]"), std::string::npos) << merged.out;
  const json all = load(dir_ / "all.json"), m = load(dir_ / "merged.json");
  EXPECT_EQ(m.at("summary").at("missing_stacks"), json::array({"absent"}));
  EXPECT_EQ(interop_outcomes(m), interop_outcomes(all));
  EXPECT_EQ(m.at("cells").size(), 2u);  // a/a under none and swap-mitm
}

}  // namespace
}  // namespace sigtrust
