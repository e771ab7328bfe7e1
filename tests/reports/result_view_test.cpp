#include "reports/result_view.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

TEST(ReportDocument, RealDocumentPassesTheCheck) {
  EXPECT_EQ(check_document(test::matrix_document()), "");
  EXPECT_EQ(check_document(result_document({})), "");
}

TEST(ReportDocument, CheckNamesThePathOfWhatIsWrong) {
  EXPECT_EQ(check_document(json::array()), "expected a JSON object at the top");
  EXPECT_EQ(check_document(json{{"tool", "sigtrust"}}), "$.runs: missing");
  EXPECT_EQ(check_document(json{{"runs", {1}}}), "$.runs[0]: expected an object");
  auto doc = test::matrix_document();
  doc["runs"][2]["sessions"] = "x";
  EXPECT_EQ(check_document(doc), "$.runs[2].sessions: expected an array");
  doc = test::matrix_document();
  doc["runs"][1]["sessions"][0]["peers"]["bob"] = 3;
  EXPECT_EQ(check_document(doc), "$.runs[1].sessions[0].peers.bob: expected an object");
  doc = test::matrix_document();
  doc["runs"][0]["sessions"][0].erase("outcome");
  EXPECT_EQ(check_document(doc), "$.runs[0].sessions[0].outcome: expected a string");
}

TEST(ReportDocument, LoadReportsFileLineAndColumnOfASyntaxError) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sigtrust-doc-" + std::to_string(::getpid()) + ".json")).string();
  test::write_file(path, "{\"runs\": [\n  {\"sessions\": []},\n  oops\n]}\n");
  const auto r = load_document(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind(path + ":3:3: not valid JSON: ", 0), 0u) << r.error().message;

  test::write_file(path, "{\"runs\": {}}");
  const auto shape = load_document(path);
  ASSERT_FALSE(shape);
  EXPECT_EQ(shape.error().message, path + ": not a sigtrust result document: $.runs: expected an array");
  std::filesystem::remove(path);

  const auto missing = load_document(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, path + ": cannot read: No such file or directory");
}

TEST(ReportDocument, AccessorsNeverThrowOnMistypedFields) {
  const json j = {{"s", "x"}, {"n", 2.5}, {"b", true}, {"a", {"p", 1, "q"}}, {"o", nullptr}};
  EXPECT_EQ(text(j, "s"), "x");
  EXPECT_EQ(text(j, "n"), "2.5");
  EXPECT_EQ(text(j, "missing"), "");
  EXPECT_EQ(text(json(3), "s"), "");
  EXPECT_EQ(texts(j, "a"), (std::vector<std::string>{"p", "q"}));
  EXPECT_TRUE(items(j, "s").empty());
  EXPECT_TRUE(flag(j, "b"));
  EXPECT_FALSE(flag(j, "s"));
  EXPECT_EQ(number(j, "s", -1), -1);
  EXPECT_EQ(format_ms(json(9.77)), "9.8");
  EXPECT_EQ(format_ms(json(nullptr)), "-");
}

TEST(ReportDocument, GrindNoteSaysHowManyKeySharesTheAttackerTried) {
  EXPECT_EQ(grind_note(json{{"grind_tries", 212}, {"grind_matched", true}}),
            "the attacker tried 212 key shares for a matching SAS; the last gives both users the same string");
  EXPECT_EQ(grind_note(json{{"grind_tries", 1}, {"grind_matched", false}}),
            "the attacker tried 1 key share for a matching SAS and found none; the users' strings differ");
  EXPECT_EQ(grind_note(json{{"grind_tries", nullptr}, {"grind_matched", nullptr}}), "");
  EXPECT_EQ(grind_note(json{{"grind_tries", "many"}}), "");
  EXPECT_EQ(grind_note(json::object()), "");
}

TEST(ReportDocument, MediaNoteNamesEachDecryptedStreamAndTheRecordings) {
  const json attacker{
      {"media",
       {{{"from", "alice"}, {"kind", "audio"}, {"codec", "opus/48000/2"}, {"packets", 25}, {"files", {"media/a.wav"}}},
        {{"from", "bob"}, {"kind", ""}, {"codec", ""}, {"packets", 3}, {"files", json::array()}},
        {{"from", "carol"}, {"kind", "video"}, {"packets", 0}}}}};
  EXPECT_EQ(media_note(attacker),
            "the attacker decrypted 2 media stream(s): audio from alice (opus/48000/2, 25 packets), "
            "RTP from bob (3 packets); recorded 1 file(s)");
  EXPECT_EQ(media_note(json{{"media", json::array()}}), "");
  EXPECT_EQ(media_note(json{{"media", "not a list"}}), "");
}

TEST(ReportDocument, RewritesAndFingerprintsFromTheTimeline) {
  const json run = test::matrix_document()["runs"][1];
  const auto list = rewrites(run);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].from, "alice");
  EXPECT_EQ(list[0].to, "bob");
  EXPECT_EQ(list[0].what(), "offer");
  EXPECT_EQ(list[0].before, test::kSdpBefore);
  EXPECT_EQ(sent_fingerprints(run, "alice"), (std::vector<std::string>{"sha-256 AA:AA"}));
  EXPECT_EQ(sent_fingerprints(run, "bob"), (std::vector<std::string>{"sha-256 BB:BB"}));
  EXPECT_EQ(sdp_fingerprints("a=fingerprint:sha-1 01\r\nx\r\na=fingerprint:sha-256 02"),
            (std::vector<std::string>{"sha-1 01", "sha-256 02"}));
}

TEST(ReportDocument, MatrixCellsAndSummaries) {
  const Matrix m = matrix_of(test::matrix_document());
  EXPECT_EQ(m.attacks, (std::vector<std::string>{"none", "swap-mitm", "strip-mitm", "append-mitm"}));
  EXPECT_EQ(m.trusts, (std::vector<std::string>{"sdp-fingerprint", "no-verification", "log-only-bug"}));
  ASSERT_NE(m.cell("strip-mitm", "no-verification"), nullptr);
  EXPECT_EQ(cell_summary(*m.cell("strip-mitm", "no-verification")), "mitm-undetected");
  EXPECT_EQ(m.cell("none", "log-only-bug"), nullptr);
  EXPECT_TRUE(has_matrix(m));

  const std::vector<MatrixCell> two = {{"detected", "detected", "md5", true},
                                       {"mitm-undetected", "detected", "sha1", false}};
  EXPECT_EQ(cell_summary(two), "detected (md5), mitm-undetected (sha1) \xE2\x89\xA0 expected detected");
}

TEST(ReportDocument, TotalsAreCountedFromTheRuns) {
  auto doc = test::matrix_document();
  doc["runs"][0]["sessions"][0]["pass"] = false;
  doc["runs"][1]["error"] = "boom";
  doc["summary"]["expectations_failed"] = 0;  // stale: ignored
  const Totals t = totals(doc);
  EXPECT_EQ(t.runs, 5u);
  EXPECT_EQ(t.sessions, 5u);
  EXPECT_EQ(t.failed, 1u);
  EXPECT_EQ(t.errors, 1u);
}

}  // namespace
}  // namespace sigtrust::reports
