// The split of cells into shards: parsing --shard, reading it from the CI
// environment, and the properties CI relies on (disjoint, covering, stable).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "core/shard.hpp"

namespace sigtrust {
namespace {

// Identities shaped like the matrix's ("attack/trust"), 13 × 13 of them.
std::vector<std::string> matrix_like(int attacks = 13, int trusts = 13) {
  std::vector<std::string> ids;
  for (int a = 0; a < attacks; ++a)
    for (int t = 0; t < trusts; ++t) ids.push_back("attack-" + std::to_string(a) + "/trust-" + std::to_string(t));
  return ids;
}

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(Shard, ParsesKOfNCountedFromOne) {
  auto s = parse_shard("2/3");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->total, 3u);
  EXPECT_TRUE(parse_shard("1/1"));
  EXPECT_TRUE(parse_shard("10000/10000"));
}

TEST(Shard, RefusesWhatIsNotAShard) {
  for (const char* bad : {"", "3", "0/3", "4/3", "1/0", "-1/3", "1/-3", "a/3", "1/3/4", " 1/3", "1/3 ", "+1/3",
                          "1/10001", "99999999999/3"}) {
    auto s = parse_shard(bad);
    EXPECT_FALSE(s) << "'" << bad << "' was accepted";
  }
  EXPECT_NE(parse_shard("4/3").error().message.find("not between 1 and 3"), std::string::npos);
  EXPECT_NE(parse_shard("x").error().message.find("expected K/N"), std::string::npos);
}

TEST(Shard, AutoReadsGitLabCountingFromOne) {
  auto s = shard_from_environment(env({{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "4"}}));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->index, 1u);
  EXPECT_EQ(s->total, 4u);
  s = shard_from_environment(env({{"CI_NODE_INDEX", "4"}, {"CI_NODE_TOTAL", "4"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 4u);
  EXPECT_FALSE(shard_from_environment(env({{"CI_NODE_INDEX", "0"}, {"CI_NODE_TOTAL", "4"}})));
}

TEST(Shard, AutoReadsAKubernetesIndexedJobCountingFromZero) {
  auto s = shard_from_environment(env({{"JOB_COMPLETION_INDEX", "0"}, {"SIGTRUST_SHARDS", "3"}}));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->index, 1u);
  EXPECT_EQ(s->total, 3u);
  s = shard_from_environment(env({{"JOB_COMPLETION_INDEX", "2"}, {"SIGTRUST_SHARDS", "3"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 3u);
  EXPECT_FALSE(shard_from_environment(env({{"JOB_COMPLETION_INDEX", "3"}, {"SIGTRUST_SHARDS", "3"}})));
}

TEST(Shard, AutoSaysWhatIsMissing) {
  auto none = shard_from_environment(env({}));
  ASSERT_FALSE(none);
  for (const char* name : {"CI_NODE_INDEX", "CI_NODE_TOTAL", "JOB_COMPLETION_INDEX", "SIGTRUST_SHARDS", "--shard K/N"})
    EXPECT_NE(none.error().message.find(name), std::string::npos) << name << " in: " << none.error().message;
  auto half = shard_from_environment(env({{"JOB_COMPLETION_INDEX", "1"}}));
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("SIGTRUST_SHARDS is not"), std::string::npos) << half.error().message;
  auto gitlab_half = shard_from_environment(env({{"CI_NODE_INDEX", "1"}}));
  ASSERT_FALSE(gitlab_half);
  EXPECT_NE(gitlab_half.error().message.find("CI_NODE_TOTAL is not set"), std::string::npos);
  auto both = shard_from_environment(
      env({{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "2"}, {"JOB_COMPLETION_INDEX", "0"}, {"SIGTRUST_SHARDS", "2"}}));
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("both"), std::string::npos);
  auto junk = shard_from_environment(env({{"CI_NODE_INDEX", "one"}, {"CI_NODE_TOTAL", "2"}}));
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("CI_NODE_INDEX='one'"), std::string::npos);
}

TEST(Shard, ShardsAreDisjointAndCoverEveryCell) {
  const auto ids = matrix_like();
  for (unsigned n = 1; n <= 12; ++n) {
    std::vector<int> owners(ids.size(), 0);
    for (unsigned k = 1; k <= n; ++k)
      for (auto i : select_shard(ids, {k, n})) ++owners[i];
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(owners[i], 1) << ids[i] << " with " << n << " shards";
  }
}

TEST(Shard, ACellKeepsItsShardWhateverTheOtherCells) {
  const auto all = matrix_like();
  const std::vector<std::string> some(all.begin() + 40, all.begin() + 60);
  auto extended = all;
  extended.push_back("a-new-attack/trust-0");
  for (unsigned n : {2u, 3u, 5u}) {
    for (std::size_t i = 0; i < some.size(); ++i) {
      const unsigned k = shard_of(some[i], n);
      EXPECT_GE(k, 1u);
      EXPECT_LE(k, n);
      // The same cell lands in the same shard in a selection, in the whole
      // matrix and in a matrix that grew.
      const auto in = [&](const std::vector<std::string>& ids) {
        for (auto j : select_shard(ids, {k, n}))
          if (ids[j] == some[i]) return true;
        return false;
      };
      EXPECT_TRUE(in(some) && in(all) && in(extended)) << some[i];
    }
  }
}

TEST(Shard, OneMoreShardMovesFewCells) {
  // Jump consistent hashing: from N to N+1 shards a cell either stays or
  // moves to the new shard; about 1/(N+1) of them move.
  const auto ids = matrix_like(40, 25);  // 1000 cells
  for (unsigned n = 1; n <= 8; ++n) {
    std::size_t moved = 0;
    for (const auto& id : ids) {
      const unsigned before = shard_of(id, n), after = shard_of(id, n + 1);
      if (before != after) {
        ++moved;
        EXPECT_EQ(after, n + 1) << id << " moved between old shards";
      }
    }
    const double expected = static_cast<double>(ids.size()) / (n + 1);
    EXPECT_NEAR(static_cast<double>(moved), expected, 4 * std::sqrt(expected)) << n << " -> " << n + 1;
  }
}

TEST(Shard, SizesStayNearTheMean) {
  const auto ids = matrix_like();  // 169, as the matrix today
  for (unsigned n : {2u, 3u, 4u}) {
    const double mean = static_cast<double>(ids.size()) / n;
    for (unsigned k = 1; k <= n; ++k)
      EXPECT_NEAR(static_cast<double>(select_shard(ids, {k, n}).size()), mean, 4 * std::sqrt(mean)) << k << "/" << n;
  }
}

TEST(Shard, TheSplitIsTheSameOnEveryMachine) {
  // Fixed values: a shard computed by one build must be the shard another
  // build (another compiler, another CPU) computes, or a merge finds cells
  // missing. FNV-1a and the jump hash use only integer and IEEE double
  // arithmetic, which are the same everywhere. The values were computed by
  // a separate implementation (a few lines of Python) of the same two steps.
  EXPECT_EQ(shard_of("swap-mitm/sdp-fingerprint", 1), 1u);
  EXPECT_EQ(shard_of("", 2), shard_of("", 2));
  const std::map<std::string, unsigned> golden = {
      {"none/no-verification", 3}, {"swap-mitm/sdp-fingerprint", 1}, {"scenarios/honest.yaml", 6}};
  for (const auto& [id, k] : golden) EXPECT_EQ(shard_of(id, 7), k) << id;
}

TEST(Shard, PlanDigestDependsOnEveryCellButNotTheirOrder) {
  const std::vector<std::string> a{"x", "y"}, b{"y", "x"}, c{"x", "y", "z"}, d{"xy"};
  EXPECT_EQ(plan_digest(a), plan_digest(a));
  EXPECT_EQ(plan_digest(a), plan_digest(b));
  EXPECT_NE(plan_digest(a), plan_digest(c));
  EXPECT_NE(plan_digest(a), plan_digest(d));
  EXPECT_EQ(plan_digest(a).size(), 64u);
}

}  // namespace
}  // namespace sigtrust
