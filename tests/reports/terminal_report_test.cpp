#include "reports/terminal_report.hpp"

#include <gtest/gtest.h>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

TEST(TerminalReport, SummaryPerSessionAndTotals) {
  const std::string out = terminal_summary(result_document({test::run_of("swap", "swap-mitm", "sdp-fingerprint",
                                                                         Outcome::MitmUndetected, "mitm-undetected")}),
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
  const std::vector<RunResult> runs = {test::run_of("a", "strip-mitm", "sdp-fingerprint", Outcome::Detected, "secure"),
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
  EXPECT_NE(out.find("attack \\ trust  sdp-fingerprint  no-verification  log-only-bug\n"), std::string::npos) << out;
  EXPECT_NE(out.find("strip-mitm      detected         mitm-undetected  -\n"), std::string::npos) << out;
}

// A run whose peers trust differently is a column named by every peer: a
// short header in the table, the full name under it.
TEST(TerminalReport, PerPeerTrustColumnIsAFootnoteNotAWideHeader) {
  const std::string mixed = "alice=sdp-fingerprint,bob=sdp-fingerprint,carol=sdp-fingerprint-first";
  const std::string out = terminal_summary(
      result_document({test::run_of("a", "append-mitm", mixed, Outcome::Detected, "detected"),
                       test::run_of("b", "swap-mitm", "sdp-fingerprint", Outcome::Detected, "detected")}),
      TerminalStyle{});
  EXPECT_NE(out.find("attack \\ trust  per peer [1]  sdp-fingerprint\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\n[1] " + mixed + "\n"), std::string::npos) << out;
}

// The deadline (or an interruption) is on the line of the session it cut.
TEST(TerminalReport, CutSessionSaysSoOnItsOwnLine) {
  const std::string out = terminal_summary(result_document({test::cut_run()}), TerminalStyle{});
  EXPECT_NE(out.find("  alice -> bob: mitm-undetected  expected mitm-undetected  FAIL  (- ms)  [cut by the deadline "
                     "(5000 ms) before it settled: alice was waiting for the users' out-of-band comparison; the "
                     "outcome is provisional, not a finding]\n"),
            std::string::npos)
      << out;
  const std::string stopped = terminal_summary(result_document({test::cut_run(CutBy::Interrupted)}), TerminalStyle{});
  EXPECT_NE(stopped.find("  interrupted: stopped from outside before the run finished\n"), std::string::npos)
      << stopped;
  EXPECT_NE(stopped.find("FAIL  (- ms)  [interrupted before it settled: alice was waiting"), std::string::npos)
      << stopped;
}

// A deadline that ended a session which cannot change any more (nothing
// connected: `failed`) keeps its outcome as a finding, and still says so.
TEST(TerminalReport, FailedSessionCutByTheDeadlineIsFinalButMarked) {
  RunResult r = test::run_of("drop", "drop-answer", "sdp-fingerprint", Outcome::Failed, "failed");
  r.deadline_ms = 5000;
  r.deadline_reached = true;
  r.sessions.front().cut = CutBy::Deadline;
  r.sessions.front().waiting_for = "alice was waiting for the answer";
  const std::string out = terminal_summary(result_document({r}), TerminalStyle{});
  EXPECT_NE(out.find("PASS  (3.2 ms)  [cut by the deadline (5000 ms) before it settled: alice was waiting for the "
                     "answer]\n"),
            std::string::npos)
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
