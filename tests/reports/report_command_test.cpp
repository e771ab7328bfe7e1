// `sigtrust run --report-dir` and `sigtrust report` as a user runs them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

namespace fs = std::filesystem;

class ReportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sigtrust-report-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

test::Command sigtrust(const std::string& args) { return test::shell(std::string(SIGTRUST_BINARY) + " " + args); }

// The files --report-dir writes are exactly what `report --format F` prints
// from the result.json next to them.
TEST_F(ReportCommand, ReportReproducesEveryFileOfTheReportDirByteForByte) {
  const auto run = sigtrust("run " SIGTRUST_SOURCE_DIR "/scenarios/swap-mitm.yaml " SIGTRUST_SOURCE_DIR
                            "/scenarios/strip-mitm.yaml -q --report-dir " +
                            path("out"));
  ASSERT_EQ(run.status, 0) << run.out;
  for (const auto& [format, file] : std::vector<std::pair<std::string, std::string>>{{"md", "report.md"},
                                                                                     {"markdown", "report.md"},
                                                                                     {"html", "report.html"},
                                                                                     {"junit", "junit.xml"},
                                                                                     {"sarif", "results.sarif"},
                                                                                     {"json", "result.json"}}) {
    const std::string written = test::read_file(path("out/" + file));
    ASSERT_FALSE(written.empty()) << file;
    const auto again = sigtrust("report " + path("out/result.json") + " --format " + format + " 2>/dev/null");
    EXPECT_EQ(again.status, 0) << format;
    EXPECT_TRUE(again.out == written) << format << " differs from " << file;
  }
  for (const char* extra : {"keys.log", "capture.pcap"}) EXPECT_TRUE(fs::exists(path(std::string("out/") + extra)));
  // The Markdown of a real run has the diff of both rewritten SDPs.
  const std::string md = test::read_file(path("out/report.md"));
  EXPECT_NE(md.find("#### offer alice → bob"), std::string::npos);
  EXPECT_NE(md.find("#### answer bob → alice"), std::string::npos);
  EXPECT_NE(md.find("\n-a=fingerprint:sha-256 "), std::string::npos);
  EXPECT_NE(md.find("\n+a=fingerprint:sha-256 "), std::string::npos);
}

TEST_F(ReportCommand, JsonOptionWritesTheSameDocumentAsTheReportDir) {
  const auto run = sigtrust("run " SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml -q --json " + path("o.json") +
                            " --report-dir " + path("out"));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_EQ(test::read_file(path("o.json")), test::read_file(path("out/result.json")));
  const auto doc = nlohmann::json::parse(test::read_file(path("o.json")));
  EXPECT_TRUE(doc.at("created").is_string());
}

TEST_F(ReportCommand, TerminalFormatIsTheRunSummary) {
  const auto run = sigtrust("run " SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml --json " + path("o.json"));
  ASSERT_EQ(run.status, 0) << run.out;
  const auto again = sigtrust("report " + path("o.json"));
  EXPECT_EQ(again.status, 0);
  EXPECT_EQ(again.out, run.out);
}

TEST_F(ReportCommand, BrokenJsonExitsTwoNamingFileLineAndColumn) {
  test::write_file(path("bad.json"), "{\"runs\": [\n  {,}\n]}\n");
  const auto r = sigtrust("report " + path("bad.json") + " --format md");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out.rfind("sigtrust: " + path("bad.json") + ":2:4: not valid JSON: ", 0), 0u) << r.out;
}

TEST_F(ReportCommand, NotAResultDocumentExitsTwo) {
  test::write_file(path("other.json"), "{\"name\": \"not sigtrust\"}");
  const auto r = sigtrust("report " + path("other.json") + " --format html");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "sigtrust: " + path("other.json") + ": not a sigtrust result document: $.runs: missing\n");
}

TEST_F(ReportCommand, UnreadableFileAndUnknownFormatExitTwo) {
  const auto missing = sigtrust("report " + path("nope.json"));
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.out.find(path("nope.json") + ": cannot read"), std::string::npos) << missing.out;
  test::write_file(path("o.json"), result_document({}).dump());
  const auto format = sigtrust("report " + path("o.json") + " --format pdf");
  EXPECT_EQ(format.status, 2);
  EXPECT_NE(format.out.find("unknown format 'pdf'"), std::string::npos) << format.out;
}

TEST_F(ReportCommand, ExitStatusFollowsTheDocument) {
  test::write_file(
      path("fail.json"),
      result_document({test::run_of("s", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "detected")}).dump());
  EXPECT_EQ(sigtrust("report " + path("fail.json") + " --format junit").status, 1);
  test::write_file(path("ok.json"), test::matrix_document().dump());
  EXPECT_EQ(sigtrust("report " + path("ok.json") + " --format sarif").status, 0);
}

// Without CAP_NET_RAW (dropped from the bounding set with setpriv, part of
// util-linux) and on the host's loopback (SIGTRUST_NO_ISOLATE: in its own
// network namespace the process may capture without privileges) there is one
// warning and every other file is written.
TEST_F(ReportCommand, WithoutCapturePrivilegeWarnsOnceAndWritesTheRest) {
  const auto r =
      test::shell("SIGTRUST_NO_ISOLATE=1 setpriv --bounding-set=-net_raw,-net_admin " + std::string(SIGTRUST_BINARY) +
                  " run " SIGTRUST_SOURCE_DIR "/scenarios/honest.yaml " SIGTRUST_SOURCE_DIR
                  "/scenarios/swap-mitm.yaml -q --report-dir " +
                  path("out"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(test::count(r.out, "warning: no packet capture"), 1u) << r.out;
  EXPECT_NE(r.out.find("CAP_NET_RAW"), std::string::npos) << r.out;
  for (const char* f : {"result.json", "report.md", "report.html", "junit.xml", "results.sarif", "keys.log"})
    EXPECT_TRUE(fs::exists(path(std::string("out/") + f))) << f;
  EXPECT_FALSE(fs::exists(path("out/capture.pcap")));
}

}  // namespace
}  // namespace sigtrust::reports
