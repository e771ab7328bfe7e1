// The docs stay true: the expectations table in docs/trust.md is what
// `sigtrust matrix --explain` prints from the checked-in expectations; the
// shard sizes in docs/ci.md are the matrix's split.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "run_helpers.hpp"
#include "core/shard.hpp"
#include "sim/matrix.hpp"

namespace sigtrust {
namespace {

TEST(Docs, TrustDocContainsTheCheckedInExpectationsVerbatim) {
  std::string out;
  FILE* p = popen(SIGTRUST_BINARY " matrix --explain", "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ASSERT_EQ(pclose(p), 0);
  ASSERT_GT(out.size(), 1000u);
  const std::string doc = testing::read_text(SIGTRUST_SOURCE_DIR "/docs/trust.md");
  EXPECT_NE(doc.find(out), std::string::npos)
      << "docs/trust.md is out of date: paste `sigtrust matrix --explain` into its 'Expected outcome of every cell'";
}

// docs/ci.md gives the matrix's shard sizes for N = 2, 3, 4: they are what
// the split gives for today's cells (every attack × every trust configuration,
// and the variant cells of scenarios/matrix/expected.yaml), named as
// `sigtrust matrix` names them.
TEST(Docs, CiDocShardSizesAreTheMatrixSplit) {
  const auto vocab = attacks::vocabulary();
  const auto expected = load_matrix_expectations(SIGTRUST_SOURCE_DIR "/scenarios/matrix/expected.yaml", vocab);
  ASSERT_TRUE(expected) << expected.error().message;
  std::vector<std::string> trusts;
  for (const auto& t : vocab.trust) trusts.push_back(t.name);
  std::vector<std::string> cells;
  for (const auto& a : vocab.attacks)
    if (!a.declarative)  // sdp-rules: its rules come from a scenario file
      for (const auto& key : row_cells(expected->at(a.name), trusts)) cells.push_back(a.name + "/" + key);
  const std::string doc = testing::read_text(SIGTRUST_SOURCE_DIR "/docs/ci.md");
  EXPECT_NE(doc.find("today's " + std::to_string(cells.size()) + " matrix cells"), std::string::npos)
      << "docs/ci.md: the matrix has " << cells.size() << " cells";
  for (unsigned n = 2; n <= 4; ++n) {
    std::string row = "| " + std::to_string(n) + " | ";
    for (unsigned k = 1; k <= n; ++k) row += (k > 1 ? ", " : "") + std::to_string(select_shard(cells, {k, n}).size());
    EXPECT_NE(doc.find(row + " |"), std::string::npos) << "docs/ci.md lacks the row '" << row << " |'";
  }
}

}  // namespace
}  // namespace sigtrust
