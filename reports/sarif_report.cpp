#include "reports/sarif_report.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "reports/attack_notes.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

// A relative URI reference for a file path (RFC 3986 §2: unreserved
// characters and '/' stay, everything else is percent-encoded).
std::string uri_of(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out.empty() ? "unknown" : out;
}

// "swap-mitm" -> "SwapMitm" (SARIF §3.49.7: a rule name is an identifier-like
// string in Pascal case).
std::string rule_name(const std::string& id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (c == '-' || c == '_' || c == ' ') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out.empty() ? "Unnamed" : out;
}

// GitHub code scanning's severity scale (CVSS-like, as a string): a man in
// the middle nobody noticed is critical, one noticed too late high.
std::string severity(const std::string& outcome) { return outcome == "mitm-undetected" ? "9.3" : "7.5"; }

// The path a result points at: the file's path in its repository when the
// document knows it, else the file as given when relative; "" for a live
// session (a WebSocket URL) or an absolute path outside any repository.
std::string location_path(const json& run) {
  if (const std::string repo = text(run, "repo_path"); !repo.empty()) return repo;
  const std::string file = text(run, "file");
  if (file.empty() || file.front() == '/' || file.find("://") != std::string::npos) return "";
  return file;
}

bool is_mitm(const std::string& outcome) { return outcome == "mitm-undetected" || outcome == "mitm-detected-late"; }

}  // namespace

namespace {

// The attacks of the document, in order of first appearance: one rule each.
std::vector<std::string> attacks_of(const json& doc) {
  std::vector<std::string> attacks;
  for (const auto& run : items(doc, "runs")) {
    const std::string a = text(run, "attack");
    if (!a.empty() && a != "none" && std::find(attacks.begin(), attacks.end(), a) == attacks.end())
      attacks.push_back(a);
  }
  return attacks;
}

json rule_of(const std::string& a) {
  const AttackNote note = attack_note(a);
  return {{"id", a},
          {"name", rule_name(a)},
          {"shortDescription", {{"text", std::string(note.summary)}}},
          {"fullDescription", {{"text", std::string(note.help)}}},
          {"help", {{"text", std::string(note.help)}}},
          {"defaultConfiguration", {{"level", "error"}}},
          // The highest severity a result of this rule can have (GitHub reads the rule's).
          {"properties",
           {{"position", std::string(note.position)},
            {"tags", {"security", "webrtc"}},
            {"security-severity", severity("mitm-undetected")}}}};
}

// Located at the session's line of the scenario file (or the matrix cell's
// entry in the expectations file), by its path in the repository.
json location_of(const json& run, const json& s) {
  const double line = number(s, "line", 1);
  if (const std::string file = location_path(run); !file.empty())
    return {{"physicalLocation",
             {{"artifactLocation", {{"uri", uri_of(file)}}},
              {"region", {{"startLine", line >= 1 ? static_cast<long long>(line) : 1}}}}}};
  // a live relay session: no file, the room it happened in
  return {{"logicalLocations", {{{"name", text(s, "room")}, {"kind", "module"}}}}};
}

// One finding: a session an attack got into (`rule_index` into the rules).
json finding(const json& run, const json& s, const std::string& attack, std::ptrdiff_t rule_index) {
  const std::string outcome = text(s, "outcome");
  std::string owners;
  for (const auto& name : session_peers(s)) {
    const std::string owner = text(field(field(s, "peers"), name), "dtls_peer_owner");
    owners += (owners.empty() ? "" : ", ") + name + " saw the certificate of " + (owner.empty() ? "nobody" : owner);
  }
  const auto read = texts(field(s, "attacker"), "plaintext_read");
  const std::string message = text(s, "offerer") + " -> " + text(s, "answerer") + ": " + outcome + " under attack " +
                              attack + " with trust " + text(run, "trust") + " (" + owners + "; the attacker read " +
                              std::to_string(read.size()) + " plaintext message(s)" +
                              (outcome == "mitm-detected-late" ? "; an alarm came too late" : "") + ").";
  json result = {{"ruleId", attack},
                 {"ruleIndex", rule_index},
                 {"level", outcome == "mitm-undetected" ? "error" : "warning"},
                 {"message", {{"text", message}}},
                 {"locations", {location_of(run, s)}},
                 // One per scenario, session and round: the same pair meeting twice is two findings.
                 {"partialFingerprints",
                  {{"sigtrustSession/v2", text(run, "scenario") + "|" + attack + "|" + text(run, "trust") + "|" +
                                              text(s, "offerer") + "->" + text(s, "answerer") + "|round " +
                                              text(s, "round") + "|" + text(s, "room")}}},
                 {"properties",
                  {{"scenario", text(run, "scenario")},
                   {"trust", text(run, "trust")},
                   {"outcome", outcome},
                   {"expected", text(s, "expected")},
                   {"expectationMet", flag(s, "pass")},
                   {"plaintextRead", read},
                   {"security-severity", severity(outcome)}}}};
  // With --baseline: new, unchanged or updated against the baseline's session.
  if (const std::string state = text(field(s, "baseline"), "state"); !state.empty()) result["baselineState"] = state;
  return result;
}

}  // namespace

json sarif_report(const json& doc) {
  const std::vector<std::string> attacks = attacks_of(doc);
  json rules = json::array();
  for (const auto& a : attacks) rules.push_back(rule_of(a));

  json results = json::array();
  // Sessions the run ended before they settled: never a finding (a later
  // alarm could have changed the outcome), but said, as the tool's notes.
  json notifications = json::array();
  bool complete = true;
  for (const auto& run : items(doc, "runs")) {
    const std::string attack = text(run, "attack");
    const auto rule = std::find(attacks.begin(), attacks.end(), attack);
    complete = complete && !flag(run, "interrupted") && text(run, "error").empty();
    for (const auto& s : items(run, "sessions")) {
      const std::string outcome = text(s, "outcome");
      if (const auto cut = cut_note(run, s); !cut.empty())
        notifications.push_back({{"level", "warning"},
                                 {"message",
                                  {{"text", text(run, "scenario") + ": " + text(s, "offerer") + " -> " +
                                                text(s, "answerer") + ": " + outcome + ", " + cut + "."}}}});
      if (!is_mitm(outcome) || rule == attacks.end() || is_provisional(s)) continue;
      results.push_back(finding(run, s, attack, rule - attacks.begin()));
    }
  }

  json driver = {{"name", "sigtrust"}, {"rules", rules}};
  if (const auto v = text(doc, "version"); !v.empty()) driver["version"] = v;
  return {{"$schema", "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs",
           {{{"tool", {{"driver", driver}}},
             {"invocations", {{{"executionSuccessful", complete}, {"toolExecutionNotifications", notifications}}}},
             {"results", results}}}}};
}

}  // namespace sigtrust::reports
