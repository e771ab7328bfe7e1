#include "reports/escape.hpp"

#include <gtest/gtest.h>

namespace sigtrust::reports {
namespace {

TEST(ReportEscape, HtmlEscapesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape("</script><img src=x onerror='a(\"1\")'>&"),
            "&lt;/script&gt;&lt;img src=x onerror=&#39;a(&quot;1&quot;)&#39;&gt;&amp;");
  EXPECT_EQ(html_escape("plain sha-256 AB:CD"), "plain sha-256 AB:CD");
}

TEST(ReportEscape, XmlReplacesCharactersXmlCannotCarry) {
  EXPECT_EQ(xml_escape("a\x01"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(xml_escape("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
  EXPECT_EQ(xml_escape("<&>"), "&lt;&amp;&gt;");
  EXPECT_EQ(xml_escape("caf\xC3\xA9 \xE2\x86\x92"), "caf\xC3\xA9 \xE2\x86\x92");  // valid UTF-8 stays
  EXPECT_EQ(xml_escape("bad \xC3 end"), "bad \xEF\xBF\xBD end");  // truncated sequence
  EXPECT_EQ(xml_escape("\xEF\xBF\xBF"), "\xEF\xBF\xBD");  // U+FFFF
  EXPECT_EQ(xml_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST(ReportEscape, MarkdownEscapesMarkupPipesAndLineBreaks) {
  EXPECT_EQ(markdown_escape("<b>|*x*|</b>"), "\\<b\\>\\|\\*x\\*\\|\\</b\\>");
  EXPECT_EQ(markdown_escape("two\r\nlines"), "two lines");
  EXPECT_EQ(markdown_escape("[link](javascript:x)"), "\\[link\\](javascript:x)");
}

TEST(ReportEscape, MarkdownFenceIsLongerThanAnyBacktickRun) {
  EXPECT_EQ(markdown_fence("no ticks"), "```");
  EXPECT_EQ(markdown_fence("a ``` b"), "````");
  EXPECT_EQ(markdown_fence("`````"), "``````");
}

TEST(ReportEscape, TerminalEscapeNeutralisesControlSequences) {
  EXPECT_EQ(terminal_escape("\x1b[31mred\x07"), "\\x1b[31mred\\x07");
  EXPECT_EQ(terminal_escape("c1 \xC2\x9B"
                            "2J"),
            "c1 \\x9b2J");
  EXPECT_EQ(terminal_escape("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(ReportEscape, TruncateNeverSplitsACharacter) {
  EXPECT_EQ(truncate_utf8("short", 10), "short");
  EXPECT_EQ(truncate_utf8("abcdef", 3), "abc\xE2\x80\xA6");
  EXPECT_EQ(truncate_utf8("ab\xE2\x86\x92"
                          "cd",
                          3),
            "ab\xE2\x80\xA6");
}

}  // namespace
}  // namespace sigtrust::reports
