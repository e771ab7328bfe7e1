#include "reports/line_diff.hpp"

#include <gtest/gtest.h>

namespace sigtrust::reports {
namespace {

TEST(ReportLineDiff, SplitsCrlfLinesWithoutATrailingEmptyLine) {
  EXPECT_EQ(split_lines("v=0\r\ns=-\r\n"), (std::vector<std::string>{"v=0", "s=-"}));
  EXPECT_EQ(split_lines("a\nb"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_lines("").empty());
}

TEST(ReportLineDiff, IdenticalTextsAreAllSame) {
  const auto d = line_diff("a\nb\nc\n", "a\nb\nc\n");
  ASSERT_EQ(d.size(), 3u);
  for (const auto& l : d) EXPECT_EQ(l.kind, DiffLine::Kind::Same);
}

TEST(ReportLineDiff, ReplacedLineIsRemovedThenAdded) {
  EXPECT_EQ(unified(line_diff("v=0\r\na=fingerprint:sha-256 AA\r\na=setup:actpass\r\n",
                              "v=0\r\na=fingerprint:sha-256 EE\r\na=setup:actpass\r\n")),
            " v=0\n-a=fingerprint:sha-256 AA\n+a=fingerprint:sha-256 EE\n a=setup:actpass\n");
}

TEST(ReportLineDiff, InsertionAndDeletionKeepTheCommonLines) {
  // append-mitm adds a line; strip-mitm removes one.
  EXPECT_EQ(unified(line_diff("a\nfp1\nz\n", "a\nfp1\nfp2\nz\n")), " a\n fp1\n+fp2\n z\n");
  EXPECT_EQ(unified(line_diff("a\nfp1\nz\n", "a\nz\n")), " a\n-fp1\n z\n");
}

TEST(ReportLineDiff, IsALongestCommonSubsequence) {
  // Common subsequence of length 4 (a b c d): 2 removed, 2 added.
  const auto d = line_diff("a\nx\nb\nc\ny\nd\n", "a\nb\np\nc\nd\nq\n");
  std::size_t same = 0, removed = 0, added = 0;
  for (const auto& l : d)
    (l.kind == DiffLine::Kind::Same ? same : l.kind == DiffLine::Kind::Removed ? removed : added)++;
  EXPECT_EQ(same, 4u);
  EXPECT_EQ(removed, 2u);
  EXPECT_EQ(added, 2u);
}

TEST(ReportLineDiff, HugeInputsFallBackToRemoveAllAddAll) {
  std::string big;
  for (std::size_t i = 0; i <= kMaxDiffLines; ++i) big += "line\n";
  const auto d = line_diff(big, "other\n");
  ASSERT_EQ(d.size(), kMaxDiffLines + 2);
  EXPECT_EQ(d.back().kind, DiffLine::Kind::Added);
}

}  // namespace
}  // namespace sigtrust::reports
