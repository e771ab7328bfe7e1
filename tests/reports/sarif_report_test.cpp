#include "reports/sarif_report.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "reports/attack_notes.hpp"
#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

using nlohmann::json;

// A real JSON Schema validator (Python jsonschema, installed by
// scripts/install-deps) against the OASIS SARIF 2.1.0 schema in tests/data.
test::Command validate(const json& sarif, const std::string& name) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sigtrust-sarif-" + std::to_string(::getpid()) + "-" + name)).string();
  test::write_file(path, sarif.dump(2));
  auto r = test::shell(
      "/usr/bin/python3 -c 'import json, sys, jsonschema; "
      "jsonschema.Draft4Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2]))); "
      "print(\"valid\")' " SIGTRUST_TEST_DATA "/sarif/sarif-schema-2.1.0.json " +
      path);
  std::filesystem::remove(path);
  return r;
}

TEST(SarifReport, ValidatesAgainstTheSarifSchema) {
  const auto r = validate(sarif_report(test::matrix_document()), "matrix.sarif");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("valid"), std::string::npos) << r.out;
  const auto h = validate(sarif_report(test::hostile_document()), "hostile.sarif");
  EXPECT_EQ(h.status, 0) << h.out;
}

TEST(SarifReport, HasTheRequiredFields) {
  const json s = sarif_report(test::matrix_document());
  EXPECT_EQ(s.at("version"), "2.1.0");
  ASSERT_EQ(s.at("runs").size(), 1u);
  const json& driver = s.at("runs")[0].at("tool").at("driver");
  EXPECT_EQ(driver.at("name"), "sigtrust");
  ASSERT_TRUE(driver.at("rules").is_array());
  for (const auto& r : s.at("runs")[0].at("results")) {
    EXPECT_TRUE(r.at("ruleId").is_string());
    EXPECT_TRUE(r.at("message").at("text").is_string());
    EXPECT_TRUE(r.at("level") == "error" || r.at("level") == "warning");
    EXPECT_TRUE(r.at("locations")[0].at("physicalLocation").at("artifactLocation").at("uri").is_string());
  }
}

TEST(SarifReport, OneResultPerMitmCellOneRulePerAttack) {
  const json s = sarif_report(test::matrix_document());
  const json& rules = s.at("runs")[0].at("tool").at("driver").at("rules");
  std::vector<std::string> ids;
  for (const auto& r : rules) ids.push_back(r.at("id"));
  EXPECT_EQ(ids, (std::vector<std::string>{"swap-mitm", "strip-mitm", "append-mitm"})) << "none has no rule";
  const json& results = s.at("runs")[0].at("results");
  ASSERT_EQ(results.size(), 3u) << "swap-mitm and strip-mitm/no-verification undetected, append-mitm late";
  EXPECT_EQ(results[0].at("ruleId"), "swap-mitm");
  EXPECT_EQ(results[0].at("level"), "error");
  EXPECT_EQ(results[0].at("locations")[0].at("physicalLocation").at("artifactLocation").at("uri"),
            "scenarios/swap-mitm.yaml");
  EXPECT_EQ(results[1].at("ruleId"), "strip-mitm");
  EXPECT_EQ(results[1].at("properties").at("trust"), "no-verification");
  EXPECT_EQ(results[2].at("ruleId"), "append-mitm");
  EXPECT_EQ(results[2].at("level"), "warning");
  for (const auto& r : results) EXPECT_EQ(rules[r.at("ruleIndex").get<std::size_t>()].at("id"), r.at("ruleId"));
}

// What GitHub code scanning needs: the session's line of the scenario file
// by its path in the repository, a fingerprint per session and round (two
// tofu rounds of one pair are two alerts), and a severity.
TEST(SarifReport, FieldsForCodeScanning) {
  RunResult r = test::run_of("tofu-poisoned", "swap-mitm", "tofu", Outcome::MitmUndetected, "mitm-undetected");
  r.file = "/abs/checkout/scenarios/tofu-poisoned.yaml";
  r.sessions.front().line = 17;
  r.sessions.front().room = "/s0-alice-bob";
  SessionResult again = r.sessions.front();
  again.round = 1;
  again.line = 22;
  again.room = "/s1-alice-bob";
  again.outcome = Outcome::MitmDetectedLate;
  r.sessions.push_back(again);
  json doc = result_document({r});
  doc["runs"][0]["repo_path"] = "scenarios/tofu-poisoned.yaml";  // what result_document finds in a checkout
  const json s = sarif_report(doc);
  const json& results = s.at("runs")[0].at("results");
  ASSERT_EQ(results.size(), 2u);
  const json& where = results[0].at("locations")[0].at("physicalLocation");
  EXPECT_EQ(where.at("artifactLocation").at("uri"), "scenarios/tofu-poisoned.yaml");
  EXPECT_EQ(where.at("region").at("startLine"), 17);
  EXPECT_EQ(results[1].at("locations")[0].at("physicalLocation").at("region").at("startLine"), 22);
  EXPECT_NE(results[0].at("partialFingerprints"), results[1].at("partialFingerprints"));
  EXPECT_EQ(results[0].at("properties").at("security-severity"), "9.3");
  EXPECT_EQ(results[1].at("properties").at("security-severity"), "7.5");
  EXPECT_EQ(s.at("runs")[0].at("tool").at("driver").at("rules")[0].at("properties").at("security-severity"), "9.3");
  // An absolute path outside a repository, or a live session, has no file to point at.
  doc["runs"][0].erase("repo_path");
  const json absolute = sarif_report(doc);
  EXPECT_FALSE(absolute.at("runs")[0].at("results")[0].at("locations")[0].contains("physicalLocation"));
  EXPECT_EQ(absolute.at("runs")[0].at("results")[0].at("locations")[0].at("logicalLocations")[0].at("name"),
            "/s0-alice-bob");
}

TEST(SarifReport, RepositoryPathIsFoundForAFileInACheckout) {
  RunResult r = test::run_of("honest", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected");
  r.file = SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml";
  const json doc = result_document({r});
  EXPECT_EQ(doc["runs"][0]["repo_path"], "scenarios/honest.yaml");
  EXPECT_EQ(sarif_report(doc)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "scenarios/honest.yaml");
}

TEST(SarifReport, RuleHelpComesFromTheAttackNotes) {
  const json s = sarif_report(test::matrix_document());
  const json& rule = s.at("runs")[0].at("tool").at("driver").at("rules")[0];
  EXPECT_EQ(rule.at("help").at("text"), std::string(attack_note("swap-mitm").help));
  EXPECT_NE(rule.at("help").at("text").get<std::string>().find("RFC 8122"), std::string::npos);
  EXPECT_EQ(rule.at("name"), "SwapMitm");
}

TEST(SarifReport, SecureDetectedAndFailedCellsAreNoResults) {
  const json s = sarif_report(result_document({
      test::run_of("a", "strip-mitm", "sdp-fingerprint", Outcome::Detected, "detected"),
      test::run_of("b", "drop-answer", "sdp-fingerprint", Outcome::Failed, "failed"),
      test::run_of("c", "none", "sdp-fingerprint", Outcome::Secure, "secure"),
  }));
  EXPECT_TRUE(s.at("runs")[0].at("results").empty());
}

// A session the deadline ended is never a finding: its outcome could still
// have changed. It is said as a notification of the tool's run instead.
TEST(SarifReport, SessionCutByTheDeadlineIsNoResultButANotification) {
  const json s = sarif_report(result_document({test::cut_run()}));
  EXPECT_TRUE(s.at("runs")[0].at("results").empty()) << s.dump(2);
  const json& inv = s.at("runs")[0].at("invocations")[0];
  EXPECT_TRUE(inv.at("executionSuccessful").get<bool>());
  ASSERT_EQ(inv.at("toolExecutionNotifications").size(), 1u);
  EXPECT_EQ(inv.at("toolExecutionNotifications")[0].at("message").at("text").get<std::string>(),
            "sas-one-sided: alice -> bob: mitm-undetected, cut by the deadline (5000 ms) before it settled: alice was "
            "waiting for the users' out-of-band comparison; the outcome is provisional, not a finding.");
  EXPECT_FALSE(sarif_report(result_document({test::cut_run(CutBy::Interrupted)}))
                   .at("runs")[0]
                   .at("invocations")[0]
                   .at("executionSuccessful")
                   .get<bool>());
}

TEST(SarifReport, ArtifactUriIsPercentEncoded) {
  const json s = sarif_report(test::hostile_document());
  const std::string uri =
      s.at("runs")[0].at("results")[0].at("locations")[0].at("physicalLocation").at("artifactLocation").at("uri");
  EXPECT_EQ(uri.find_first_of(" <>\"'`|"), std::string::npos) << uri;
  EXPECT_EQ(uri.rfind("scenarios/evil%20%3C/script%3E%3Cimg%20src%3Dx", 0), 0u) << uri;
}

}  // namespace
}  // namespace sigtrust::reports
