// The Markdown report: the outcome list, the matrix when attack or trust
// varies, and per run the sessions (fingerprints expected and seen, alarms,
// what the attacker read), the diff of every SDP the attacker rewrote and the
// timeline. A pure function of the result document: `sigtrust report
// RESULT.json --format md` reproduces it byte for byte.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace sigtrust::reports {

std::string markdown_report(const nlohmann::json& doc);

}  // namespace sigtrust::reports
