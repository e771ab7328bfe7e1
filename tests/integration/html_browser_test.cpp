// The HTML report in a real browser: headless Chromium (Debian's), started in
// a network namespace of its own with no interface up (the network is off),
// renders the outcome cells and the SVG sequence diagram, and the page makes
// no request. The net log tells the page's requests (a file:// page's
// initiator is "null") from the browser's own ("not an origin").
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;

struct Page {
  std::string dom;
  std::vector<std::string> page_requests;  // URLs the page asked for
};

Page load_in_chromium(const fs::path& html, const fs::path& work) {
  fs::create_directories(work);
  const fs::path netlog = work / "net.json";
  const std::string cmd =
      "unshare -rn /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=" +
      (work / "profile").string() + " --log-net-log=" + netlog.string() + " --dump-dom file://" + html.string() +
      " 2>/dev/null";
  Page page;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return page;
  std::array<char, 8192> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) page.dom.append(buf.data(), n);
  pclose(p);
  const auto log = nlohmann::json::parse(testing::read_text(netlog.string()), nullptr, false);
  if (log.is_discarded()) return page;
  std::map<int, std::string> event_names;
  for (const auto& [name, id] : log["constants"]["logEventTypes"].items()) event_names[id.get<int>()] = name;
  for (const auto& e : log["events"]) {
    if (event_names[e["type"].get<int>()] != "URL_REQUEST_START_JOB" || !e.contains("params")) continue;
    const auto& params = e["params"];
    if (params.value("initiator", "not an origin") != "not an origin")
      page.page_requests.push_back(params.value("url", "?"));
  }
  return page;
}

TEST(HtmlReportInBrowser, ShowsOutcomeCellsAndTheSequenceDiagramWithoutAnyRequest) {
  const fs::path work = fs::temp_directory_path() / ("sigtrust-html-" + std::to_string(getpid()));
  const std::string cmd = std::string(SIGTRUST_BINARY) +
                          " run " SIGTRUST_SOURCE_DIR "/scenarios/swap-mitm.yaml -q --report-dir " +
                          (work / "out").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const Page page = load_in_chromium(work / "out" / "report.html", work / "browser");
  ASSERT_FALSE(page.dom.empty()) << "chromium rendered nothing";
  EXPECT_NE(page.dom.find("<span class=\"outcome o-mitm-undetected\">mitm-undetected</span>"), std::string::npos);
  EXPECT_NE(page.dom.find("<svg"), std::string::npos);
  EXPECT_NE(page.dom.find("class=\"sequence\""), std::string::npos);
  EXPECT_TRUE(page.page_requests.empty()) << "the report asked for " << page.page_requests.front();
  fs::remove_all(work);
}

// What tests/data/browser/measure-diagrams.js found in a report, as laid out
// by Chromium. The copy it measures drops the report's Content-Security-Policy
// (which forbids any script) so that the measuring script may run; the test
// above checks the report itself.
struct Measured {
  nlohmann::json found;  // null if the page wrote nothing
  bool screenshot = false;
};

Measured measure_report(const fs::path& report_dir, const fs::path& work) {
  std::string html = testing::read_text((report_dir / "report.html").string());
  const auto csp = html.find("<meta http-equiv=\"Content-Security-Policy\"");
  if (csp != std::string::npos) html.erase(csp, html.find('>', csp) + 1 - csp);
  const std::string script = testing::read_text(SIGTRUST_TEST_DATA "/browser/measure-diagrams.js");
  html.insert(html.rfind("</body>"), "<script>" + script + "</script>");
  fs::create_directories(work);
  std::ofstream(work / "measure.html") << html;
  Measured m;
  const Page page = load_in_chromium(work / "measure.html", work / "browser");
  const std::string open = "<pre id=\"sigtrust-measure\">";
  const auto at = page.dom.rfind(open);  // the script names the element too
  if (at == std::string::npos) {
    ADD_FAILURE() << "the page has no measurement; its DOM ends: "
                  << page.dom.substr(page.dom.size() > 400 ? page.dom.size() - 400 : 0);
    return m;
  }
  std::string text = page.dom.substr(at + open.size(), page.dom.find("</pre>", at) - at - open.size());
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}})
    for (auto p = text.find(entity); p != std::string::npos; p = text.find(entity, p + c.size()))
      text.replace(p, entity.size(), c);
  m.found = nlohmann::json::parse(text, nullptr, false);
  if (m.found.is_discarded()) {
    ADD_FAILURE() << "unreadable measurement: " << text.substr(0, 400);
    m.found = nullptr;
  }
  // The picture a student would see, kept next to the report.
  const std::string shot =
      "unshare -rn /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
      "--hide-scrollbars --window-size=1280,2400 --user-data-dir=" +
      (work / "shot-profile").string() + " --screenshot=" + (work / "report.png").string() + " file://" +
      (report_dir / "report.html").string() + " >/dev/null 2>&1";
  std::system(shot.c_str());
  m.screenshot = fs::exists(work / "report.png") && fs::file_size(work / "report.png") > 1000;
  return m;
}

void expect_readable(const nlohmann::json& found, const std::vector<std::string>& lifelines) {
  ASSERT_TRUE(found.is_object()) << "the measuring script wrote nothing";
  EXPECT_EQ(found["diagrams"], 1);
  EXPECT_GT(found["texts"].get<int>(), 20);
  EXPECT_GT(found["arrows"].get<int>(), 5);
  // No label truncated: each fits its box (or its arrow) and is drawn whole.
  EXPECT_TRUE(found["problems"].empty()) << found["problems"].dump(1);
  // The legend, every item of it, and the time axis.
  EXPECT_EQ(found["legend"], nlohmann::json({"signaling message", "changed by the attacker", "ICE", "DTLS handshake",
                                             "application data", "alarm", "check passed"}));
  EXPECT_GT(found["axis"].get<int>(), 5);
  // Every lifeline drawn, and something on each.
  std::vector<std::string> names;
  for (const auto& l : found["lifelines"]) {
    names.push_back(l["name"]);
    EXPECT_GT(l["steps"].get<int>(), 0) << l["name"] << "'s lifeline is empty";
  }
  EXPECT_EQ(names, lifelines);
}

// The screenshot test of the diagrams students read: a swap-mitm report and a
// three-peer report (one peer with a 29-character name) in headless Chromium,
// network off; every label measured in the page against its box.
TEST(HtmlReportInBrowser, DiagramLabelsFitTheirBoxesAndTheLegendIsThere) {
  const fs::path work = fs::temp_directory_path() / ("sigtrust-html-measure-" + std::to_string(getpid()));
  const std::vector<std::pair<std::string, std::vector<std::string>>> reports = {
      {SIGTRUST_SOURCE_DIR "/scenarios/swap-mitm.yaml", {"alice", "relay", "mallory", "bob"}},
      {SIGTRUST_TEST_DATA "/scenarios/three-peers.yaml",
       {"alice", "relay", "mallory", "bob", "carol-the-third-cosigner-4f2a"}}};
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& [file, lifelines] = reports[i];
    const fs::path dir = work / std::to_string(i);
    const std::string cmd = std::string(SIGTRUST_BINARY) + " run --no-isolate " + file + " -q --report-dir " +
                            dir.string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << file;
    const Measured m = measure_report(dir, work / ("browser-" + std::to_string(i)));
    SCOPED_TRACE(file);
    expect_readable(m.found, lifelines);
    EXPECT_TRUE(m.screenshot) << "chromium took no screenshot";
  }
  fs::remove_all(work);
}

// The measuring script sees a cut label: a note whose text is wider than its box is reported.
TEST(HtmlReportInBrowser, TheMeasureCatchesALabelWiderThanItsBox) {
  const fs::path work = fs::temp_directory_path() / ("sigtrust-html-measure-control-" + std::to_string(getpid()));
  fs::create_directories(work / "out");
  std::ofstream(work / "out" / "report.html")
      << "<html><body><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sequence\" width=\"400\" height=\"100\" "
         "viewBox=\"0 0 400 100\"><g class=\"step info\"><title>1.0 ms: a note far wider than the box it sits in"
         "</title><rect x=\"10\" y=\"10\" width=\"60\" height=\"20\"/><text x=\"40\" y=\"24\" "
         "text-anchor=\"middle\"><tspan x=\"40\">a note far wider than the box</tspan></text></g></svg></body></html>";
  const Measured m = measure_report(work / "out", work / "browser");
  ASSERT_TRUE(m.found.is_object());
  const std::string problems = m.found["problems"].dump();
  EXPECT_NE(problems.find("note overflows its box"), std::string::npos) << problems;
  EXPECT_NE(problems.find("label cut"), std::string::npos) << problems;
  EXPECT_TRUE(m.found["legend"].empty()) << "no legend in this page";
  fs::remove_all(work);
}

// The check above can see a request: a page that loads an image is caught.
TEST(HtmlReportInBrowser, TheRequestCheckCatchesAPageThatLoadsSomething) {
  const fs::path work = fs::temp_directory_path() / ("sigtrust-html-control-" + std::to_string(getpid()));
  fs::create_directories(work);
  std::ofstream(work / "control.html") << "<html><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>";
  const Page page = load_in_chromium(work / "control.html", work / "browser");
  ASSERT_EQ(page.page_requests.size(), 1u);
  EXPECT_EQ(page.page_requests[0], "http://127.0.0.1:9/x.png");
  fs::remove_all(work);
}

}  // namespace
}  // namespace sigtrust
