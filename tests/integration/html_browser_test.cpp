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
