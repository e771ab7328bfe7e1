#include "reports/junit_report.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

using test::count;

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sigtrust-junit-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// xmllint (libxml2-utils, installed by scripts/install-deps) checks the
// report against the Ant JUnit schema in tests/data/junit.
test::Command validate(const std::string& xml, const std::string& name) {
  const std::string path = temp_file(name);
  test::write_file(path, xml);
  auto r = test::shell("xmllint --noout --schema " SIGTRUST_TEST_DATA "/junit/JUnit.xsd " + path);
  std::filesystem::remove(path);
  return r;
}

TEST(JunitReport, ValidatesAgainstTheJunitSchema) {
  const auto r = validate(junit_report(test::matrix_document()), "matrix.xml");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("validates"), std::string::npos) << r.out;
}

TEST(JunitReport, HostileDocumentStaysWellFormedAndValid) {
  const std::string xml = junit_report(test::hostile_document());
  EXPECT_EQ(xml.find("<img"), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  const auto r = validate(xml, "hostile.xml");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(JunitReport, OneTestCasePerSessionNamedAfterScenarioAndCell) {
  const std::string xml = junit_report(test::matrix_document());
  EXPECT_EQ(count(xml, "<testcase "), 5u);
  EXPECT_EQ(count(xml, "<testsuite "), 5u);
  EXPECT_NE(xml.find("<testcase classname=\"swap-mitm\" name=\"alice -&gt; bob, round 0 [swap-mitm / "
                     "sdp-fingerprint]\" time=\"0.003\"/>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(count(xml, "<failure"), 0u);
}

TEST(JunitReport, FailureCarriesExpectedGotAndAlarms) {
  const std::string xml = junit_report(
      result_document({test::run_of("strip", "strip-mitm", "sdp-fingerprint", Outcome::Detected, "mitm-undetected")}));
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"expectation\" message=\"expected mitm-undetected, got detected (alarms: bob: "
                     "fingerprint-mismatch)\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("bob: saw the certificate of alice; alarms: fingerprint-mismatch"), std::string::npos) << xml;
}

TEST(JunitReport, FailureWithoutAlarmSaysSo) {
  const std::string xml = junit_report(
      result_document({test::run_of("swap", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "detected")}));
  EXPECT_NE(xml.find("message=\"expected detected, got mitm-undetected (no alarm was raised)\""), std::string::npos)
      << xml;
}

// A session the deadline ended fails for that reason, with the time it ran.
TEST(JunitReport, DeadlineFailureSaysDeadlineAndTakesTheDeadlineAsItsTime) {
  const std::string xml = junit_report(result_document({test::cut_run()}));
  EXPECT_NE(xml.find("<failure type=\"deadline\" message=\"expected mitm-undetected, got provisional mitm-undetected: "
                     "cut by the deadline (5000 ms) before it settled: alice was waiting for the users&#39; "
                     "out-of-band comparison; the outcome is provisional, not a finding\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("time=\"5.000\""), std::string::npos) << xml;
  EXPECT_EQ(validate(xml, "deadline.xml").status, 0);
}

TEST(JunitReport, InterruptionIsTheFailure) {
  const std::string xml = junit_report(result_document({test::cut_run(CutBy::Interrupted)}));
  EXPECT_NE(xml.find("<failure type=\"interrupted\" message=\"expected mitm-undetected, got provisional "
                     "mitm-undetected: interrupted before it settled"),
            std::string::npos)
      << xml;
}

// Two rounds of the same pair (tofu: first contact, then the attacked
// session), and the same scenario twice: every suite and case name differs.
TEST(JunitReport, NamesAreUniquePerScenarioSessionAndRound) {
  RunResult r = test::run_of("tofu-poisoned", "swap-mitm", "tofu", Outcome::Detected, "detected");
  SessionResult second = r.sessions.front();
  second.round = 1;
  second.room = "/s1-alice-bob";
  r.sessions.front().room = "/s0-alice-bob";
  r.sessions.push_back(second);
  const std::string xml = junit_report(result_document({r, r}));
  EXPECT_NE(xml.find("name=\"alice -&gt; bob, round 0 [swap-mitm / tofu]\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"alice -&gt; bob, round 1 [swap-mitm / tofu]\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testsuite package=\"sigtrust\" id=\"0\" name=\"tofu-poisoned\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testsuite package=\"sigtrust\" id=\"1\" name=\"tofu-poisoned #2\""), std::string::npos) << xml;
  EXPECT_EQ(validate(xml, "rounds.xml").status, 0);
}

TEST(JunitReport, SimulatorFailureIsAnError) {
  RunResult r = test::run_of("broken", "none", "sdp-fingerprint", Outcome::Error, "secure");
  r.error = "cannot bind 127.1.2.1";
  const std::string xml = junit_report(result_document({r}));
  EXPECT_NE(xml.find("errors=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("<error type=\"simulator\" message=\"the simulator failed: cannot bind 127.1.2.1\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<system-err>cannot bind 127.1.2.1</system-err>"), std::string::npos);
}

TEST(JunitReport, TimestampComesFromTheDocument) {
  auto doc = test::matrix_document();
  EXPECT_NE(junit_report(doc).find("timestamp=\"1970-01-01T00:00:00\""), std::string::npos);
  doc["created"] = "2025-03-04T05:06:07Z";
  EXPECT_NE(junit_report(doc).find("timestamp=\"2025-03-04T05:06:07\""), std::string::npos);
}

}  // namespace
}  // namespace sigtrust::reports
