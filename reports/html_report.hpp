// The HTML report: one self-contained page (inline CSS and SVG, no script,
// nothing fetched; a Content-Security-Policy forbids any request) with the
// outcome list, the matrix, and per run the verdict, the fingerprints each
// peer expected and saw, a sequence diagram, the SDP diffs and the timeline.
// All text from the document is escaped: it carries attacker-controlled SDP
// and messages.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace sigtrust::reports {

std::string html_report(const nlohmann::json& doc);

}  // namespace sigtrust::reports
