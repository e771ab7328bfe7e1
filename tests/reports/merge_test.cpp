// `report merge` as a pure function of documents: what it joins and, naming
// the file and the cell, what it refuses.
#include <gtest/gtest.h>

#include "reports/interop_view.hpp"
#include "reports/merge.hpp"
#include "reports/report_set.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

const std::vector<std::string> kPlan = {"none/sas",       "swap-mitm/sas",       "swap-mitm/no-verification",
                                        "strip-mitm/sas", "strip-mitm/identity", "append-mitm/tofu",
                                        "none/tofu"};

json run_of(const std::string& cell, bool pass = true) {
  return {{"scenario", cell},
          {"file", "matrix"},
          {"cell", cell},
          {"attack", cell.substr(0, cell.find('/'))},
          {"trust", cell.substr(cell.find('/') + 1)},
          {"error", nullptr},
          {"sessions", json::array({{{"offerer", "alice"},
                                     {"answerer", "bob"},
                                     {"outcome", "secure"},
                                     {"expected", pass ? "secure" : "detected"},
                                     {"pass", pass}}})}};
}

json expectations(const std::string& sha = std::string(64, 'a')) {
  return {{"file", "expected.yaml"}, {"sha256", sha}};
}

// Shard k of n of kPlan, as `sigtrust matrix --shard k/n` writes it.
json shard_doc(unsigned k, unsigned n, const std::vector<std::string>& plan = kPlan) {
  json doc{{"tool", "sigtrust"}, {"version", "1.2.3"}, {"runs", json::array()}};
  for (const auto i : select_shard(plan, {k, n})) doc["runs"].push_back(run_of(plan[i]));
  doc["expectations"] = expectations();
  doc["shard"] = shard_header({k, n}, "matrix", plan);
  doc["summary"] = summary_of(doc["runs"]);
  return doc;
}

std::vector<NamedDocument> three_shards() {
  return {{"s1.json", shard_doc(1, 3)}, {"s2.json", shard_doc(2, 3)}, {"s3.json", shard_doc(3, 3)}};
}

std::string refusal(const std::vector<NamedDocument>& docs) {
  auto m = merge_documents(docs, "1.2.3");
  EXPECT_FALSE(m) << "merged what it should refuse";
  return m ? std::string() : m.error().message;
}

TEST(Merge, EveryShardNonEmptyInThisFixture) {
  // The refusals below name cells; each shard must have some.
  for (unsigned k = 1; k <= 3; ++k) EXPECT_FALSE(select_shard(kPlan, {k, 3}).empty()) << k;
}

TEST(Merge, JoinsShardsInPlanOrderWithASummaryCountedFromTheRuns) {
  auto docs = three_shards();
  std::swap(docs[0], docs[2]);  // the order given does not matter
  auto m = merge_documents(docs, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->at("runs").size(), kPlan.size());
  for (std::size_t i = 0; i < kPlan.size(); ++i) EXPECT_EQ(m->at("runs")[i].at("cell"), kPlan[i]);
  EXPECT_EQ(m->at("summary").at("runs"), kPlan.size());
  EXPECT_EQ(m->at("summary").at("expectations_failed"), 0);
  EXPECT_EQ(m->at("merged").at("shards"), 3);
  EXPECT_EQ(m->at("merged").at("documents").size(), 3u);
  EXPECT_EQ(m->at("expectations"), expectations());
  EXPECT_EQ(m->at("command"), "matrix");
  EXPECT_FALSE(m->contains("shard"));
  EXPECT_EQ(check_document(*m), "");
}

TEST(Merge, KeepsFailedExpectationsAndErrors) {
  auto docs = three_shards();
  auto& run = docs[1].doc["runs"][0];
  run["sessions"][0]["pass"] = false;
  docs[2].doc["runs"][0]["error"] = "coturn did not start";
  auto m = merge_documents(docs, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  const auto t = totals(*m);
  EXPECT_EQ(t.failed, 1u);
  EXPECT_EQ(t.errors, 1u);
  EXPECT_EQ(m->at("summary").at("expectations_failed"), 1);
  EXPECT_EQ(m->at("summary").at("errors"), 1);
}

TEST(Merge, RefusesAMissingShardNamingItsCells) {
  auto docs = three_shards();
  const std::string first_of_2 = kPlan[select_shard(kPlan, {2, 3}).front()];
  docs.erase(docs.begin() + 1);
  const auto why = refusal(docs);
  EXPECT_NE(why.find("missing shard 2/3"), std::string::npos) << why;
  EXPECT_NE(why.find(first_of_2), std::string::npos) << why;
}

TEST(Merge, RefusesADuplicateCellNamingItAndBothFiles) {
  auto docs = three_shards();
  docs.push_back({"s2-again.json", shard_doc(2, 3)});
  const auto why = refusal(docs);
  const std::string cell = kPlan[select_shard(kPlan, {2, 3}).front()];
  EXPECT_NE(why.find("s2-again.json: duplicate cell " + cell), std::string::npos) << why;
  EXPECT_NE(why.find("also in s2.json"), std::string::npos) << why;
}

TEST(Merge, RefusesADuplicateCellInUnshardedDocuments) {
  json a{{"tool", "sigtrust"}, {"version", "1.2.3"}, {"runs", {run_of("none/sas"), run_of("swap-mitm/sas")}}};
  json b{{"tool", "sigtrust"}, {"version", "1.2.3"}, {"runs", {run_of("swap-mitm/sas")}}};
  const auto why = refusal({{"a.json", a}, {"b.json", b}});
  EXPECT_NE(why.find("b.json: duplicate cell swap-mitm/sas (also in a.json)"), std::string::npos) << why;
}

TEST(Merge, JoinsUnshardedDocumentsInTheOrderGiven) {
  json a{{"tool", "sigtrust"}, {"version", "1.2.3"}, {"runs", {run_of("swap-mitm/sas")}}};
  json b{{"tool", "sigtrust"}, {"version", "1.2.3"}, {"runs", {run_of("none/sas")}}};
  auto m = merge_documents({{"a.json", a}, {"b.json", b}}, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->at("runs")[0].at("cell"), "swap-mitm/sas");
  EXPECT_EQ(m->at("runs")[1].at("cell"), "none/sas");
  EXPECT_TRUE(m->at("merged").at("shards").is_null());
}

TEST(Merge, RefusesAnotherVersion) {
  auto docs = three_shards();
  docs[1].doc["version"] = "1.2.2";
  const auto why = refusal(docs);
  EXPECT_NE(why.find("s2.json: written by sigtrust 1.2.2"), std::string::npos) << why;
  EXPECT_NE(why.find("this is sigtrust 1.2.3"), std::string::npos) << why;
  EXPECT_NE(why.find(docs[1].doc["runs"][0]["cell"].get<std::string>()), std::string::npos) << why;
}

TEST(Merge, RefusesOtherExpectations) {
  auto docs = three_shards();
  docs[2].doc["expectations"] = expectations(std::string(64, 'b'));
  const auto why = refusal(docs);
  EXPECT_NE(why.find("s3.json: checked against expected.yaml sha256 bbbb"), std::string::npos) << why;
  EXPECT_NE(why.find("s1.json against expected.yaml sha256 aaaa"), std::string::npos) << why;
  docs[2].doc.erase("expectations");
  EXPECT_NE(refusal(docs).find("no expectations header"), std::string::npos);
}

TEST(Merge, RefusesShardsOfAnotherSplit) {
  auto docs = three_shards();
  docs[1] = {"other.json", shard_doc(2, 4)};
  EXPECT_NE(refusal(docs).find("other.json: shard 2/4"), std::string::npos);
  auto smaller = kPlan;
  smaller.pop_back();
  docs = three_shards();
  docs[1] = {"fewer.json", shard_doc(2, 3, smaller)};
  const auto why = refusal(docs);
  EXPECT_NE(why.find("fewer.json"), std::string::npos) << why;
  EXPECT_NE(why.find("same cells"), std::string::npos) << why;
}

TEST(Merge, RefusesMixingShardsWithUnshardedDocuments) {
  auto docs = three_shards();
  docs[2].doc.erase("shard");
  const auto why = refusal(docs);
  EXPECT_NE(why.find("s3.json: no shard header, but"), std::string::npos) << why;
}

TEST(Merge, RefusesAShardThatLostACell) {
  auto docs = three_shards();
  const std::string lost = docs[0].doc["runs"].back()["cell"];
  docs[0].doc["runs"].erase(docs[0].doc["runs"].size() - 1);
  const auto why = refusal(docs);
  EXPECT_NE(why.find("s1.json: cell " + lost + " of shard 1/3 is missing from it"), std::string::npos) << why;
}

TEST(Merge, RefusesACellInTheWrongShardOrOutsideThePlan) {
  auto docs = three_shards();
  const json moved = docs[1].doc["runs"][0];
  docs[1].doc["runs"].erase(0);
  docs[0].doc["runs"].push_back(moved);
  auto why = refusal(docs);
  EXPECT_NE(why.find("s1.json: cell " + moved["cell"].get<std::string>() + " belongs to shard 2/3"), std::string::npos)
      << why;
  docs = three_shards();
  docs[0].doc["runs"].push_back(run_of("not/planned"));
  why = refusal(docs);
  EXPECT_NE(why.find("s1.json: cell not/planned is not in the plan"), std::string::npos) << why;
}

TEST(Merge, RefusesAnEditedPlan) {
  auto docs = three_shards();
  docs[0].doc["shard"]["plan"]["cells"].push_back("extra/cell");
  EXPECT_NE(refusal(docs).find("s1.json: shard.plan.sha256 does not match"), std::string::npos);
}

TEST(Merge, KeepsTheSignalThatInterruptedAShard) {
  auto docs = three_shards();
  docs[1].doc["interrupted_by"] = 15;
  auto m = merge_documents(docs, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->at("interrupted_by"), 15);
}

// ---- interop documents: cells (OFFERER/ANSWERER/ATTACK) in place of runs ----

const std::vector<std::string> kInteropPlan = {
    "werift/werift/none", "werift/werift/swap-mitm", "werift/werift/append-mitm",
    "werift/ndc/none",    "werift/ndc/swap-mitm",    "werift/ndc/append-mitm",
    "ndc/werift/none",    "ndc/werift/swap-mitm",    "ndc/werift/append-mitm",
    "ndc/ndc/none",       "ndc/ndc/swap-mitm",       "ndc/ndc/append-mitm"};

json interop_cell(const std::string& id, bool met = true) {
  const auto a = id.find('/'), b = id.find('/', a + 1);
  const std::string attack = id.substr(b + 1);
  const std::string outcome = attack == "none" ? "secure" : "mitm-undetected";
  return {{"cell", id},
          {"offerer", id.substr(0, a)},
          {"answerer", id.substr(a + 1, b - a - 1)},
          {"attack", attack},
          {"outcome", outcome},
          {"why", "the relay's account"},
          {"expected", met ? outcome : "detected"},
          {"expected_reason", "measured"},
          {"expected_version", "v1"},
          {"version", "v1"},
          {"met", met},
          {"seconds", 1.5},
          {"failure", ""},
          {"stderr_tail", ""}};
}

json stacks_json(bool ndc_present = true, const std::string& werift_version = "werift 1.0") {
  return {{{"name", "werift"}, {"version", werift_version}, {"present", true}},
          {{"name", "ndc"}, {"version", ndc_present ? "ndc 2.0" : ""}, {"present", ndc_present}}};
}

// Shard k of n of kInteropPlan, as `sigtrust interop --shard k/n` writes it
// (without the cells of a stack it found missing).
json interop_shard(unsigned k, unsigned n, bool ndc_present = true) {
  json doc{{"tool", "sigtrust"}, {"version", "1.2.3"}, {"command", "interop"}, {"cells", json::array()}};
  for (const auto i : select_shard(kInteropPlan, {k, n}))
    if (ndc_present || kInteropPlan[i].find("ndc") == std::string::npos)
      doc["cells"].push_back(interop_cell(kInteropPlan[i]));
  doc["expectations"] = expectations();
  doc["shard"] = shard_header({k, n}, "interop", kInteropPlan);
  doc["stacks"] = stacks_json(ndc_present);
  doc["summary"] = interop_summary(doc);
  return doc;
}

std::vector<NamedDocument> interop_shards() {
  return {{"i1.json", interop_shard(1, 3)}, {"i2.json", interop_shard(2, 3)}, {"i3.json", interop_shard(3, 3)}};
}

TEST(MergeInterop, EveryShardNonEmptyInThisFixture) {
  for (unsigned k = 1; k <= 3; ++k) EXPECT_FALSE(select_shard(kInteropPlan, {k, 3}).empty()) << k;
}

TEST(MergeInterop, JoinsCellsNotRunsInPlanOrderWithTheInteropSummary) {
  auto docs = interop_shards();
  std::swap(docs[0], docs[2]);
  auto m = merge_documents(docs, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->contains("runs"));
  ASSERT_EQ(m->at("cells").size(), kInteropPlan.size());
  for (std::size_t i = 0; i < kInteropPlan.size(); ++i) EXPECT_EQ(m->at("cells")[i].at("cell"), kInteropPlan[i]);
  EXPECT_EQ(m->at("command"), "interop");
  EXPECT_EQ(m->at("summary"),
            (json{{"cells", 12}, {"deviations", 0}, {"met_on_rerun", 0}, {"missing_stacks", json::array()}}));
  EXPECT_EQ(m->at("stacks"), stacks_json());
  EXPECT_EQ(m->at("merged").at("shards"), 3);
  EXPECT_EQ(m->at("merged").at("documents")[0].at("cells"), docs[0].doc.at("cells").size());
  EXPECT_FALSE(m->contains("shard"));
  EXPECT_EQ(check_document(*m), "");
}

TEST(MergeInterop, ADeviationStaysADeviation) {
  auto docs = interop_shards();
  docs[1].doc["cells"][0] = interop_cell(docs[1].doc["cells"][0]["cell"], false);
  auto m = merge_documents(docs, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->at("summary").at("deviations"), 1);
  EXPECT_EQ(totals(*m).failed, 1u);
  EXPECT_EQ(totals(*m).errors, 0u);
}

TEST(MergeInterop, RefusesMixingWithARunOrMatrixDocumentNamingBothFiles) {
  auto docs = interop_shards();
  docs.push_back({"matrix.json", shard_doc(1, 3)});
  auto why = refusal(docs);
  EXPECT_NE(why.find("matrix.json: a run/matrix result document (its first cell: " +
                     docs.back().doc["runs"][0]["cell"].get<std::string>() +
                     "), but i1.json is an interop result "
                     "document"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("merge documents of one command"), std::string::npos) << why;
  // Also unsharded, and whichever comes first.
  json interop = interop_shard(1, 1);
  interop.erase("shard");
  json matrix{
      {"tool", "sigtrust"}, {"version", "1.2.3"}, {"runs", {run_of("none/sas")}}, {"expectations", expectations()}};
  why = refusal({{"m.json", matrix}, {"i.json", interop}});
  EXPECT_NE(why.find("i.json: an interop result document (its first cell: werift/werift/none), but m.json is a "
                     "run/matrix result document (its first cell: none/sas)"),
            std::string::npos)
      << why;
}

TEST(MergeInterop, RefusesADuplicateCellNamingItAndBothFiles) {
  auto docs = interop_shards();
  docs.push_back({"i2-again.json", interop_shard(2, 3)});
  const std::string cell = kInteropPlan[select_shard(kInteropPlan, {2, 3}).front()];
  const auto why = refusal(docs);
  EXPECT_NE(why.find("i2-again.json: duplicate cell " + cell + " (also in i2.json)"), std::string::npos) << why;
}

TEST(MergeInterop, RefusesAMissingShardNamingItsCells) {
  auto docs = interop_shards();
  const std::string first_of_3 = kInteropPlan[select_shard(kInteropPlan, {3, 3}).front()];
  docs.pop_back();
  const auto why = refusal(docs);
  EXPECT_NE(why.find("missing shard 3/3"), std::string::npos) << why;
  EXPECT_NE(why.find(first_of_3), std::string::npos) << why;
}

TEST(MergeInterop, RefusesAnotherVersionOrOtherExpectationsNamingFileAndCell) {
  auto docs = interop_shards();
  docs[2].doc["version"] = "1.2.2";
  auto why = refusal(docs);
  EXPECT_NE(why.find("i3.json: written by sigtrust 1.2.2 (its first cell: " +
                     docs[2].doc["cells"][0]["cell"].get<std::string>() + ")"),
            std::string::npos)
      << why;
  docs = interop_shards();
  docs[1].doc["expectations"] = expectations(std::string(64, 'c'));
  why = refusal(docs);
  EXPECT_NE(why.find("i2.json: checked against expected.yaml sha256 cccc"), std::string::npos) << why;
  EXPECT_NE(why.find(docs[1].doc["cells"][0]["cell"].get<std::string>()), std::string::npos) << why;
}

TEST(MergeInterop, RefusesAShardThatLostACell) {
  auto docs = interop_shards();
  const std::string lost = docs[0].doc["cells"].back()["cell"];
  docs[0].doc["cells"].erase(docs[0].doc["cells"].size() - 1);
  const auto why = refusal(docs);
  EXPECT_NE(why.find("i1.json: cell " + lost + " of shard 1/3 is missing from it"), std::string::npos) << why;
}

TEST(MergeInterop, RefusesAStackAtAnotherVersionInAnotherShard) {
  auto docs = interop_shards();
  docs[1].doc["stacks"] = stacks_json(true, "werift 1.1");
  const auto why = refusal(docs);
  EXPECT_NE(why.find("i2.json: stack werift is 'werift 1.1' there"), std::string::npos) << why;
  EXPECT_NE(why.find("'werift 1.0' in i1.json"), std::string::npos) << why;
}

TEST(MergeInterop, AStackMissingOnOneShardsMachineIsMissingInTheMerge) {
  // Shard 2 found ndc missing and ran none of its cells (it exited 2): the
  // merge accepts those cells' absence and says the stack is missing.
  auto docs = interop_shards();
  docs[1].doc = interop_shard(2, 3, false);
  auto m = merge_documents(docs, "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->at("summary").at("missing_stacks"), json::array({"ndc"}));
  EXPECT_LT(m->at("cells").size(), kInteropPlan.size());
  // Only a missing stack's cells are excused: a werift/werift cell is not.
  const auto& cells = docs[1].doc["cells"];
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (cells[i]["cell"].get<std::string>().find("ndc") == std::string::npos) {
      const std::string lost = cells[i]["cell"];
      docs[1].doc["cells"].erase(i);
      const auto why = refusal(docs);
      EXPECT_NE(why.find("i2.json: cell " + lost + " of shard 2/3 is missing from it"), std::string::npos) << why;
      break;
    }
}

TEST(MergeInterop, RendersInEveryFormatThroughItsRunView) {
  auto m = merge_documents(interop_shards(), "1.2.3");
  ASSERT_TRUE(m) << m.error().message;
  (*m)["cells"][1] = interop_cell((*m)["cells"][1]["cell"], false);
  (*m)["cells"][1]["peers"] = {{"alice", {{"dtls_peer_owner", "mallory"}}}, {"bob", {{"dtls_peer_owner", "mallory"}}}};
  const json view = runs_view(*m);
  ASSERT_EQ(view.at("runs").size(), kInteropPlan.size());
  EXPECT_EQ(view.at("runs")[1].at("attack"), "swap-mitm");
  EXPECT_EQ(view.at("runs")[1].at("trust"), "werift/werift");
  EXPECT_EQ(view.at("runs")[1].at("sessions")[0].at("offerer"), "alice (werift)");
  EXPECT_EQ(view.at("runs")[1].at("sessions")[0].at("pass"), false);
  EXPECT_EQ(check_document(view), "");
  EXPECT_EQ(totals(*m).runs, kInteropPlan.size());
  EXPECT_EQ(totals(*m).failed, 1u);
  for (Format f : {Format::Terminal, Format::Markdown, Format::Html, Format::Junit, Format::Sarif}) {
    const std::string out = render(f, *m);
    EXPECT_NE(out.find("append-mitm"), std::string::npos) << static_cast<int>(f);
    EXPECT_NE(out.find("ndc/werift"), std::string::npos) << static_cast<int>(f);
  }
  EXPECT_EQ(json::parse(render(Format::Json, *m)), *m) << "the JSON of an interop document is itself";
  // The relay's account of each client, under the client's name and stack.
  EXPECT_NE(render(Format::Terminal, *m).find("alice (werift): saw certificate of mallory"), std::string::npos)
      << render(Format::Terminal, *m);
}

TEST(MergeInterop, ABadInteropDocumentIsNamedWhereItIsWrong) {
  json doc = interop_shard(1, 1);
  doc["cells"][1].erase("outcome");
  EXPECT_EQ(check_document(doc), "$.cells[1].outcome: expected a string");
  doc["cells"] = "no";
  EXPECT_EQ(check_document(doc), "$.cells: expected an array");
}

}  // namespace
}  // namespace sigtrust::reports
