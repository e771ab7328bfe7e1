// `report merge` as a pure function of documents: what it joins and, naming
// the file and the cell, what it refuses.
#include <gtest/gtest.h>

#include "reports/merge.hpp"
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

}  // namespace
}  // namespace sigtrust::reports
