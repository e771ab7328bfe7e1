// The stack × attack table of an interop result document in the reports
// `sigtrust interop --report-dir` writes: rows attacks, columns ordered pairs
// offerer → answerer, each cell the outcome with what the stacks said (an
// HTML tooltip, a numbered note in Markdown), and each stack's version.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/interop_view.hpp"
#include "reports/report_set.hpp"

namespace sigtrust::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json cell(const std::string& offerer, const std::string& answerer, const std::string& attack,
          const std::string& outcome, const std::string& bob_error = "", const std::string& expected = "") {
  json c = {{"cell", offerer + "/" + answerer + "/" + attack},
            {"offerer", offerer},
            {"answerer", answerer},
            {"attack", attack},
            {"outcome", outcome},
            {"why", "the relay's account"},
            {"expected", expected.empty() ? outcome : expected},
            {"expected_reason", "measured"},
            {"expected_version", "v"},
            {"version", "v"},
            {"met", expected.empty() || expected == outcome},
            {"seconds", 1.5},
            {"failure", ""},
            {"stderr_tail", ""}};
  c["peers"] = {{"alice", {{"connected", outcome != "detected"}}}, {"bob", {{"connected", outcome != "detected"}}}};
  if (!bob_error.empty()) c["peers"]["bob"]["failure"] = bob_error;
  return c;
}

// werift and pion, 2 attacks × 3 pairs; pion refuses a fingerprint-less offer
// and says so; one cell deviates; Chromium was asked for but missing.
json interop_document() {
  json doc = {{"tool", "sigtrust"}, {"version", "1.2.3"}, {"command", "interop"}};
  doc["stacks"] = {{{"name", "werift"}, {"version", "werift 0.25.2"}, {"present", true}},
                   {{"name", "pion"}, {"version", "pion 3.1.56"}, {"present", true}},
                   {{"name", "chromium"}, {"version", ""}, {"present", false}}};
  doc["cells"] = {cell("pion", "pion", "none", "secure"),
                  cell("pion", "pion", "strip-mitm", "detected", "SetRemoteDescription called with no fingerprint"),
                  cell("werift", "pion", "none", "secure"),
                  cell("werift", "pion", "strip-mitm", "detected", "SetRemoteDescription called with no fingerprint"),
                  cell("pion", "werift", "none", "failed", "", "secure"),
                  cell("pion", "werift", "strip-mitm", "detected")};
  doc["cells"][4]["failure"] = "alice (pion): hung: killed at the cell's deadline";
  doc["cells"][4]["stderr_tail"] = "pion: waiting\n";
  doc["summary"] = interop_summary(doc);
  return doc;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(InteropTable, AttacksByPairsInOrderWithWhatTheStacksSaidAndTheVersions) {
  const InteropTable t = interop_table(runs_view(interop_document()));
  EXPECT_EQ(t.attacks, (std::vector<std::string>{"none", "strip-mitm"}));
  EXPECT_EQ(t.pairs, (std::vector<std::string>{"pion → pion", "werift → pion", "pion → werift"}));
  ASSERT_NE(t.cell("strip-mitm", "werift → pion"), nullptr);
  EXPECT_EQ(t.cell("strip-mitm", "werift → pion")->outcome, "detected");
  EXPECT_EQ(t.cell("strip-mitm", "werift → pion")->note, "bob (pion): SetRemoteDescription called with no fingerprint");
  EXPECT_EQ(t.cell("none", "pion → werift")->note, "alice (pion): hung: killed at the cell's deadline");
  EXPECT_FALSE(t.cell("none", "pion → werift")->met);
  EXPECT_EQ(t.cell("none", "pion → pion")->note, "");
  EXPECT_EQ(t.versions, (std::vector<std::pair<std::string, std::string>>{
                            {"werift", "werift 0.25.2"}, {"pion", "pion 3.1.56"}, {"chromium", "missing"}}));
  EXPECT_TRUE(interop_table(json{{"command", "matrix"}, {"runs", json::array()}}).pairs.empty());
}

// A cell met only on its rerun (`sigtrust interop --reruns`): the table's note
// says what the earlier run gave, the summary counts it apart from the
// deviations, and the totals line says so.
TEST(InteropTable, ACellMetOnARerunKeepsItsEarlierRunInTheNoteAndTheSummary) {
  json doc = interop_document();
  doc["cells"][0]["earlier_runs"] = {{{"outcome", "failed"},
                                      {"why", ""},
                                      {"seconds", 8.0},
                                      {"failure", "alice (pion): killed by signal 11"},
                                      {"stderr_tail", ""}}};
  doc["summary"] = interop_summary(doc);
  EXPECT_EQ(doc["summary"],
            (json{{"cells", 6}, {"deviations", 1}, {"met_on_rerun", 1}, {"missing_stacks", {"chromium"}}}));
  EXPECT_EQ(interop_summary_line(doc["summary"]),
            "6 cell(s), 1 deviation(s), 1 met only on a rerun, missing stack(s) [\"chromium\"]");
  const InteropTable t = interop_table(runs_view(doc));
  EXPECT_EQ(t.cell("none", "pion → pion")->note, "run 1 of 2 gave failed: alice (pion): killed by signal 11");
  EXPECT_TRUE(t.cell("none", "pion → pion")->met);
  doc["cells"][0].erase("earlier_runs");
  EXPECT_EQ(interop_summary_line(interop_summary(doc)), "6 cell(s), 1 deviation(s), missing stack(s) [\"chromium\"]");
}

TEST(InteropReportDir, WritesEveryFormatWithTheStackByAttackTable) {
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-interop-report-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto written = write_report_dir(dir.string(), interop_document());
  EXPECT_EQ(written.size(), 5u);
  for (const char* f : {"result.json", "report.md", "report.html", "junit.xml", "results.sarif"})
    EXPECT_TRUE(fs::is_regular_file(dir / f)) << f;

  const std::string html = read(dir / "report.html");
  EXPECT_NE(html.find("<h2>Stacks × attacks</h2>"), std::string::npos);
  EXPECT_NE(html.find("<th>pion → pion</th><th>werift → pion</th><th>pion → werift</th>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>strip-mitm</th><td class=\"cell\" title=\"bob (pion): SetRemoteDescription called "
                      "with no fingerprint\"><span class=\"outcome o-detected\">detected</span>"),
            std::string::npos);
  EXPECT_NE(html.find("title=\"alice (pion): hung: killed at the cell&#39;s deadline\"><span class=\"outcome "
                      "o-failed\">failed</span> <span class=\"note\">*</span> <span class=\"fail\">&ne; expected "
                      "secure</span>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td>pion</td><td>pion 3.1.56</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>chromium</td><td>missing</td></tr>"), std::string::npos);

  const std::string md = read(dir / "report.md");
  EXPECT_NE(md.find("| attack \\\\ offerer → answerer | pion → pion | werift → pion | pion → werift |"),
            std::string::npos);
  EXPECT_NE(md.find("| none | secure | secure | failed (1) ≠ expected secure |"), std::string::npos);
  EXPECT_NE(md.find("| strip-mitm | detected (2) | detected (3) | detected |"), std::string::npos);
  EXPECT_NE(md.find("1. none, pion → werift: alice (pion): hung: killed at the cell's deadline\n"), std::string::npos);
  EXPECT_NE(md.find("3. strip-mitm, werift → pion: bob (pion): SetRemoteDescription called with no fingerprint\n"),
            std::string::npos);
  EXPECT_NE(md.find("| werift | werift 0.25.2 |"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sigtrust::reports
