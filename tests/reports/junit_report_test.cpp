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
  EXPECT_NE(xml.find("<testcase classname=\"swap-mitm\" name=\"alice-&gt;bob [swap-mitm / sdp-fingerprint]\" "
                     "time=\"0.003\"/>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(count(xml, "<failure"), 0u);
}

TEST(JunitReport, FailureCarriesExpectedGotAndAlarms) {
  const std::string xml = junit_report(
      result_document({test::run_of("strip", "strip-mitm", "sdp-fingerprint", Outcome::Detected, "mitm-undetected")}));
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("<failure type=\"expectation\" message=\"expected mitm-undetected, got detected\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("bob: saw the certificate of alice; alarms: fingerprint-mismatch"), std::string::npos) << xml;
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
