#include "core/c_entry.hpp"
#include "c_entry_reports.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace sigtrust {
namespace {

using Reports = test::CEntryReports;

TEST(CEntry, AnExceptionStopsAtTheEntryAndGoesToTheThreadsReporter) {
  Reports seen;
  CEntryReporter reporter(seen.report());
  bool after = false;
  c_entry("a test callback", [] { throw std::runtime_error("boom"); });
  after = true;  // reached: nothing unwound past c_entry
  EXPECT_TRUE(after);
  ASSERT_EQ(seen.where.size(), 1u);
  EXPECT_EQ(seen.where[0], "a test callback");
  EXPECT_EQ(seen.what[0], "boom");
}

TEST(CEntry, AValueReturningEntryGivesItsFallbackAfterAnException) {
  Reports seen;
  CEntryReporter reporter(seen.report());
  EXPECT_EQ(c_entry_or<long>("push", -1, []() -> long { throw std::logic_error("no"); }), -1);
  EXPECT_EQ(c_entry_or<long>("push", -1, []() -> long { return 42; }), 42);
  ASSERT_EQ(seen.what.size(), 1u);
  EXPECT_EQ(seen.what[0], "no");
}

TEST(CEntry, ANonStandardExceptionIsStoppedToo) {
  Reports seen;
  CEntryReporter reporter(seen.report());
  c_entry("odd", [] { throw 7; });
  ASSERT_EQ(seen.what.size(), 1u);
  EXPECT_EQ(seen.what[0], "an exception that is not a std::exception");
}

TEST(CEntry, AnExplicitReportTakesPrecedenceOverTheThreadsReporter) {
  Reports thread_wide, own;
  CEntryReporter reporter(thread_wide.report());
  const CEntryReport report = own.report();
  c_entry(
      "server", [] { throw std::runtime_error("x"); }, &report);
  EXPECT_EQ(own.what.size(), 1u);
  EXPECT_TRUE(thread_wide.what.empty());
}

TEST(CEntry, ReportersNestAndThePreviousOneComesBack) {
  Reports outer, inner;
  CEntryReporter a(outer.report());
  {
    CEntryReporter b(inner.report());
    c_entry("inner", [] { throw std::runtime_error("1"); });
  }
  c_entry("outer", [] { throw std::runtime_error("2"); });
  ASSERT_EQ(inner.what.size(), 1u);
  ASSERT_EQ(outer.what.size(), 1u);
  EXPECT_EQ(outer.where[0], "outer");
}

TEST(CEntry, AThrowingReporterDoesNotUnwindEither) {
  CEntryReporter reporter([](const std::string&, const std::string&) { throw std::runtime_error("reporter"); });
  testing::internal::CaptureStderr();
  c_entry("cb", [] { throw std::runtime_error("first"); });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("first"), std::string::npos);
}

TEST(CEntry, WithoutAReporterTheExceptionIsWrittenToStderr) {
  testing::internal::CaptureStderr();
  c_entry("lonely", [] { throw std::runtime_error("nobody listens"); });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("lonely"), std::string::npos);
  EXPECT_NE(err.find("nobody listens"), std::string::npos);
}

}  // namespace
}  // namespace sigtrust
