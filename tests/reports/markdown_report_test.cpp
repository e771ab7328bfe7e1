#include "reports/markdown_report.hpp"

#include <gtest/gtest.h>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

using test::count;

// The Markdown outside fenced code blocks (inside them text is literal).
std::string outside_fences(const std::string& md) {
  std::string out, fence;
  std::size_t start = 0;
  while (start < md.size()) {
    std::size_t end = md.find('\n', start);
    if (end == std::string::npos) end = md.size();
    const std::string line = md.substr(start, end - start);
    start = end + 1;
    const std::size_t ticks = line.find_first_not_of('`');
    if (fence.empty() && line.rfind("```", 0) == 0) {
      fence = line.substr(0, ticks);
    } else if (!fence.empty() && line == fence) {
      fence.clear();
    } else if (fence.empty()) {
      out += line + "\n";
    }
  }
  return out;
}

// Characters that would start markup, when not backslash-escaped.
std::size_t unescaped(const std::string& text, char c) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == c && (i == 0 || text[i - 1] != '\\')) ++n;
  return n;
}

TEST(MarkdownReport, HasOutcomeTableRunSectionDiffAlarmsAndTimeline) {
  const std::string md = markdown_report(test::matrix_document());
  EXPECT_EQ(md.rfind("# sigtrust report\n", 0), 0u);
  EXPECT_NE(md.find("## Outcomes\n"), std::string::npos);
  EXPECT_NE(md.find("| 2 | swap-mitm | swap-mitm | sdp-fingerprint | alice → bob | **mitm-undetected** | "
                    "mitm-undetected | pass |"),
            std::string::npos);
  EXPECT_EQ(count(md, "## Run "), 5u);
  EXPECT_EQ(count(md, "```diff\n"), 5u) << "one diff per rewritten SDP";
  EXPECT_NE(md.find("\n-a=fingerprint:sha-256 AA:AA\n"), std::string::npos);
  EXPECT_NE(md.find("\n+a=fingerprint:sha-256 EE:EE\n"), std::string::npos);
  EXPECT_NE(
      md.find("\n-a=candidate:1 1 UDP 1 127.1.2.10 4000 typ host\n+a=candidate:1 1 UDP 1 127.1.2.200 5000 typ host\n"),
      std::string::npos);
  EXPECT_NE(md.find(" a=setup:actpass\n"), std::string::npos) << "unchanged lines are context";
  EXPECT_NE(md.find("### Alarms\n\n- 3.4 ms, bob: fingerprint-mismatch"), std::string::npos);
  EXPECT_NE(md.find("### Timeline\n"), std::string::npos);
  EXPECT_NE(md.find("**The attacker read 1 plaintext message(s)**"), std::string::npos);
  EXPECT_NE(md.find("- hello bob"), std::string::npos);
}

TEST(MarkdownReport, MatrixRowsAreAttacksColumnsAreTrust) {
  const std::string md = markdown_report(test::matrix_document());
  EXPECT_NE(md.find("| attack \\\\ trust | sdp-fingerprint | no-verification | log-only-bug |\n|---|---|---|---|\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| strip-mitm | detected | mitm-undetected |  |\n"), std::string::npos);
  EXPECT_NE(md.find("| append-mitm |  |  | mitm-detected-late |\n"), std::string::npos);
}

TEST(MarkdownReport, SingleRunHasNoMatrix) {
  const std::string md = markdown_report(
      result_document({test::run_of("s", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected")}));
  EXPECT_EQ(md.find("## Matrix"), std::string::npos);
}

TEST(MarkdownReport, FailedExpectationIsMarked) {
  const std::string md = markdown_report(
      result_document({test::run_of("s", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "detected")}));
  EXPECT_NE(md.find("| **mitm-undetected** | detected | **FAIL** |"), std::string::npos);
}

TEST(MarkdownReport, CutSessionIsMarkedInTheTableAndItsSection) {
  const std::string md = markdown_report(result_document({test::cut_run()}));
  EXPECT_NE(md.find("| **mitm-undetected** (provisional, cut: deadline) | mitm-undetected | **FAIL** |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("**cut by the deadline (5000 ms) before it settled: alice was waiting for the users' out-of-band "
                    "comparison; the outcome is provisional, not a finding.**"),
            std::string::npos)
      << md;
}

TEST(MarkdownReport, HostileTextCannotInjectMarkupOrBreakOutOfTheDiff) {
  const std::string md = markdown_report(test::hostile_document());
  const std::string prose = outside_fences(md);
  EXPECT_NE(prose.find("\\</script\\>\\<img src=x onerror=alert(1)\\>"), std::string::npos);
  // Outside code, the only raw '<' is the <br> the writer puts in table cells.
  EXPECT_EQ(unescaped(prose, '<'), count(prose, "<br>"));
  EXPECT_EQ(unescaped(prose, '`'), 0u);
  // Table rows keep their columns: 8 unescaped '|' + 1 in the peers table, whatever the names.
  for (const std::string row : {"| alice |", "| bob |"}) {
    const auto at = prose.find(row);
    ASSERT_NE(at, std::string::npos);
    const std::string line = prose.substr(at, prose.find('\n', at) - at);
    EXPECT_EQ(unescaped(line, '|'), 9u) << line;
  }
  // The SDP contains ``` and ````: the fence around it is longer than both,
  // and the hostile text inside it stays inside it.
  EXPECT_EQ(count(md, "`````diff\n"), 1u);
  EXPECT_EQ(count(md, "\n`````\n"), 1u);
  EXPECT_NE(md.find("\n-a=x-evil:</script>"), std::string::npos);
}

TEST(MarkdownReport, IsAPureFunctionOfTheDocument) {
  const auto doc = test::matrix_document();
  EXPECT_EQ(markdown_report(doc), markdown_report(nlohmann::json::parse(doc.dump())));
}

}  // namespace
}  // namespace sigtrust::reports
