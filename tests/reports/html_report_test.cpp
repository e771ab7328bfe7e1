#include "reports/html_report.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

using test::count;

TEST(HtmlReport, IsOneDocumentWithOutcomeCellsMatrixAndADiagramPerRun) {
  const std::string html = html_report(test::matrix_document());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_EQ(count(html, "<html"), 1u);
  EXPECT_NE(html.find("</html>\n"), std::string::npos);
  EXPECT_EQ(count(html, "<span class=\"outcome o-mitm-undetected\">mitm-undetected</span>"), 2u * 3)
      << "outcome table, matrix and session heading, two runs";
  EXPECT_NE(html.find("<table class=\"matrix\">"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"cell\"><span class=\"outcome o-detected\">detected</span></td>"), std::string::npos);
  EXPECT_EQ(count(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sequence\""), 5u);
  EXPECT_EQ(count(html, "<pre class=\"diff\">"), 5u);
  EXPECT_NE(html.find("<span class=\"del\">-a=fingerprint:sha-256 AA:AA</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"add\">+a=fingerprint:sha-256 EE:EE</span>"), std::string::npos);
}

TEST(HtmlReport, ShowsFingerprintsExpectedAndSeenAndTheVerdict) {
  const std::string html = html_report(
      result_document({test::run_of("s", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected")}));
  EXPECT_NE(html.find("<strong>Verdict:</strong> Someone else terminated DTLS (alice talked to mallory, bob talked "
                      "to mallory) and nobody raised an alarm."),
            std::string::npos);
  EXPECT_NE(html.find("<code>sha-256 AA:AA</code>"), std::string::npos) << "alice's own fingerprint, from her offer";
  EXPECT_NE(html.find("<code>sha-256 EE:EE</code>"), std::string::npos) << "what the SDP said and DTLS showed";
  EXPECT_NE(html.find("<span class=\"owner-bad\">mallory (not bob)</span>"), std::string::npos);
}

TEST(HtmlReport, CutSessionIsMarkedInTheTableAndItsVerdict) {
  const std::string html = html_report(result_document({test::cut_run()}));
  EXPECT_NE(html.find("<span class=\"cut\">(provisional, cut: deadline)</span>"), std::string::npos) << html;
  EXPECT_NE(html.find("<p class=\"verdict bad cut\"><strong>cut by the deadline (5000 ms) before it settled: alice "
                      "was waiting for the users&#39; out-of-band comparison; the outcome is provisional, not a "
                      "finding.</strong></p>"),
            std::string::npos)
      << html;
}

TEST(HtmlReport, EscapesEveryHostileString) {
  const std::string html = html_report(test::hostile_document());
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("</script>"), std::string::npos);
  EXPECT_EQ(html.find("onerror=alert(1)>"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"), std::string::npos);
  EXPECT_EQ(html.find("<!-- ]]>"), std::string::npos);
}

// Nothing on the page can make a request: no script, no external resource,
// no URL but in-page fragments and the SVG namespace name, and a CSP that
// forbids everything but inline style.
TEST(HtmlReport, IsSelfContained) {
  const std::string html = html_report(test::hostile_document());
  for (const char* tag : {"<script", "<link", "<img", "<iframe", "<object", "<embed", "<base", "@import"})
    EXPECT_EQ(html.find(tag), std::string::npos) << tag;
  for (auto p = html.find("url("); p != std::string::npos; p = html.find("url(", p + 1))
    EXPECT_EQ(html.compare(p, 5, "url(#"), 0) << "only in-page markers: " << html.substr(p, 30);
  EXPECT_NE(html.find("content=\"default-src 'none'; style-src 'unsafe-inline'\""), std::string::npos);
  const std::regex attr(R"re(\b(?:src|href|xlink:href|action|srcset|poster)\s*=\s*"([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), attr); it != std::sregex_iterator(); ++it)
    EXPECT_EQ((*it)[1].str().rfind('#', 0), 0u) << "non-fragment reference: " << (*it)[0].str();
  std::size_t http = 0;
  for (auto p = html.find("http"); p != std::string::npos; p = html.find("http", p + 1))
    if (html.compare(p, 26, "http://www.w3.org/2000/svg") != 0 && html.compare(p, 10, "http-equiv") != 0) ++http;
  EXPECT_EQ(http, 0u);
}

// Issue 13: each session links the recordings the attacker made; under
// --report-dir DIR they are in DIR/media/, beside the page. The only
// non-fragment references the page has are these links (no resource loads).
TEST(HtmlReport, LinksTheAttackersRecordings) {
  auto run = test::run_of("s", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected");
  AttackerSessionReport::MediaStream m;
  m.from = "alice";
  m.kind = "audio";
  m.codec = "opus/48000/2";
  m.packets = 50;
  m.bytes = 150;
  m.files = {"live-out/media/room-alice-1234.wav"};
  run.sessions[0].attacker.media[1234] = m;
  AttackerSessionReport::MediaStream v;
  v.from = "bob";
  v.files = {"/elsewhere/x<y>.wav"};
  run.sessions[0].attacker.media[99] = v;
  const std::string html = html_report(result_document({run}));
  EXPECT_NE(html.find("audio from alice (opus/48000/2, SSRC 1234): 50 packets, 150 bytes"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"media/room-alice-1234.wav\">room-alice-1234.wav</a>"), std::string::npos);
  EXPECT_NE(html.find("RTP from bob (unknown codec, SSRC 99)"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/elsewhere/x&lt;y&gt;.wav\">x&lt;y&gt;.wav</a>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace sigtrust::reports
