// The docs stay true: the expectations table in docs/trust.md is what
// `sigtrust matrix --explain` prints from the checked-in expectations.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "run_helpers.hpp"

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

}  // namespace
}  // namespace sigtrust
