#include "reports/terminal_report.hpp"

#include <gtest/gtest.h>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

TEST(TerminalReport, SummaryPerSessionAndTotals) {
  const std::string out = terminal_summary(
      result_document({test::run_of("swap", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected")}),
      TerminalStyle{});
  EXPECT_EQ(out,
            "swap  (attack swap-mitm, trust sdp-fingerprint)\n"
            "  alice -> bob: mitm-undetected  expected mitm-undetected  PASS  (3.2 ms)\n"
            "    alice: saw certificate of mallory\n"
            "    bob: saw certificate of mallory\n"
            "    attacker read 1 plaintext message(s)\n"
            "1 run(s), 1 session(s), 0 expectation(s) failed\n");
}

TEST(TerminalReport, RunResultsAndDocumentGiveTheSameText) {
  const std::vector<RunResult> runs = {
      test::run_of("a", "strip-mitm", "sdp-fingerprint", Outcome::Detected, "secure"),
      test::run_of("b", "none", "no-verification", Outcome::Secure, "secure")};
  TerminalStyle style;
  style.verbose = true;
  EXPECT_EQ(terminal_summary(runs, style), terminal_summary(result_document(runs), style));
}

TEST(TerminalReport, NoColourUnlessAsked) {
  const auto doc = test::matrix_document();
  EXPECT_EQ(terminal_summary(doc, TerminalStyle{}).find('\x1b'), std::string::npos);
  TerminalStyle colour;
  colour.colour = true;
  EXPECT_NE(terminal_summary(doc, colour).find("\x1b[1;31mmitm-undetected\x1b[0m"), std::string::npos);
}

TEST(TerminalReport, MatrixTableForSeveralAttacksAndTrusts) {
  const std::string out = terminal_summary(test::matrix_document(), TerminalStyle{});
  EXPECT_NE(out.find("attack \\ trust  sdp-fingerprint  no-verification  log-only-bug\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("strip-mitm      detected         mitm-undetected  -\n"), std::string::npos)
      << out;
}

TEST(TerminalReport, ControlSequencesFromTheDocumentAreNeutralised) {
  TerminalStyle style;
  style.verbose = true;
  const std::string out = terminal_summary(test::hostile_document(), style);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\x07'), std::string::npos);
  EXPECT_NE(out.find("\\x1b[31mred\\x07"), std::string::npos);
}

}  // namespace
}  // namespace sigtrust::reports
