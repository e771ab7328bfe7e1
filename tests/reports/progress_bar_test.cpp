#include "reports/progress_bar.hpp"

#include <gtest/gtest.h>

namespace sigtrust::reports {
namespace {

TEST(ReportProgressBar, LineShowsShareDoneAndTheCurrentItem) {
  EXPECT_EQ(ProgressBar::line(0, 4, "honest", 8), "[........] 0/4 honest");
  EXPECT_EQ(ProgressBar::line(2, 4, "swap-mitm", 8), "[####....] 2/4 swap-mitm");
  EXPECT_EQ(ProgressBar::line(4, 4, "", 8), "[########] 4/4");
  EXPECT_EQ(ProgressBar::line(9, 4, "", 8), "[########] 4/4");
}

TEST(ReportProgressBar, CurrentItemIsEscaped) { EXPECT_EQ(ProgressBar::line(1, 2, "\x1b[2J", 2), "[#.] 1/2 \\x1b[2J"); }

}  // namespace
}  // namespace sigtrust::reports
