#include "reports/junit_report.hpp"

#include <cstdio>
#include <set>
#include <sstream>

#include "reports/escape.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

std::string x(const std::string& s) { return xml_escape(s); }

// Seconds with millisecond precision from a milliseconds value (xs:decimal).
std::string seconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms < 0 ? 0.0 : ms / 1000.0);
  return buf;
}

// The schema wants "YYYY-MM-DDTHH:MM:SS" without a zone; the document's
// "created" is UTC ("...Z"). A document without it gets the epoch, so the
// report stays a pure function of the document.
std::string timestamp(const json& doc) {
  std::string t = text(doc, "created");
  if (t.size() >= 19 && t[4] == '-' && t[10] == 'T') return t.substr(0, 19);
  return "1970-01-01T00:00:00";
}

// A non-empty token (the schema's xs:token with minLength 1).
std::string token(const std::string& s, const char* fallback) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out.empty() ? fallback : out;
}

// Why a session failed, in one line: the cut first (a provisional outcome is
// no finding), else what was expected and what came, and the alarms.
std::string failure_message(const json& run, const json& s) {
  std::string m =
      "expected " + text(s, "expected") + ", got " + (is_provisional(s) ? "provisional " : "") + text(s, "outcome");
  if (const auto cut = cut_note(run, s); !cut.empty()) return m + ": " + cut;
  std::string alarms;
  for (const auto& name : session_peers(s))
    for (const auto& a : texts(field(field(s, "peers"), name), "alarms"))
      alarms += (alarms.empty() ? "" : "; ") + name + ": " + a;
  return m + (alarms.empty() ? " (no alarm was raised)" : " (alarms: " + alarms + ")");
}

// The test case's name: the session and its round, unique within the suite
// (a live relay session has no round but its own room).
std::string case_name(const json& run, const json& s) {
  std::string where = field(s, "round").is_number() ? "round " + text(s, "round") : "room " + text(s, "room");
  return token(text(s, "offerer") + " -> " + text(s, "answerer") + ", " + where + " [" + text(run, "attack") + " / " +
                   text(run, "trust") + "]",
               "session");
}

// Seconds the session took: its own total when it finished, else the
// deadline that ended it, else the run's duration (it lasted no longer).
double case_ms(const json& run, const json& s) {
  const double total = number(field(s, "timings_ms"), "total");
  if (total >= 0) return total;
  if (text(s, "cut_by") == "deadline" && number(run, "deadline_ms", 0) > 0) return number(run, "deadline_ms");
  return number(run, "duration_ms", 0);
}

std::string failure_details(const json& run, const json& s) {
  std::ostringstream d;
  d << failure_message(run, s) << "\n";
  for (const auto& name : session_peers(s)) {
    const json& p = field(field(s, "peers"), name);
    const std::string owner = text(p, "dtls_peer_owner");
    d << name << ": saw " << (owner.empty() ? std::string("no certificate") : "the certificate of " + owner);
    const auto alarms = texts(p, "alarms");
    d << "; alarms:";
    if (alarms.empty()) d << " none";
    for (const auto& a : alarms) d << " " << a;
    if (const auto f = text(p, "failure"); !f.empty()) d << "; " << f;
    d << "\n";
  }
  const auto read = texts(field(s, "attacker"), "plaintext_read");
  d << "attacker read " << read.size() << " plaintext message(s)\n";
  return d.str();
}

}  // namespace

std::string junit_report(const json& doc) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  const std::string when = timestamp(doc);
  std::size_t id = 0;
  std::set<std::string> suites;
  for (const auto& run : items(doc, "runs")) {
    // The same scenario run twice (two files, or a file named twice) is two suites: told apart by number.
    std::string scenario = token(text(run, "scenario"), "unnamed");
    for (int k = 2; !suites.insert(scenario).second; ++k)
      scenario = token(text(run, "scenario"), "unnamed") + " #" + std::to_string(k);
    const std::string classname = scenario;
    const std::string error = text(run, "error");
    std::size_t failures = 0, errors = 0;
    for (const auto& s : items(run, "sessions")) {
      if (!error.empty()) ++errors;
      else if (!flag(s, "pass")) ++failures;
    }
    out << "  <testsuite package=\"sigtrust\" id=\"" << id++ << "\" name=\"" << x(scenario) << "\" timestamp=\""
        << x(when) << "\" hostname=\"localhost\" tests=\"" << items(run, "sessions").size() << "\" failures=\""
        << failures << "\" errors=\"" << errors << "\" time=\"" << seconds(number(run, "duration_ms", 0)) << "\">\n"
        << "    <properties>\n";
    for (const char* key : {"file", "attack", "trust", "network", "seed"})
      out << "      <property name=\"" << key << "\" value=\"" << x(text(run, key)) << "\"/>\n";
    out << "    </properties>\n";
    std::set<std::string> names;
    for (const auto& s : items(run, "sessions")) {
      std::string name = case_name(run, s);
      for (int k = 2; !names.insert(name).second; ++k) name = case_name(run, s) + " #" + std::to_string(k);
      out << "    <testcase classname=\"" << x(classname) << "\" name=\"" << x(name) << "\" time=\""
          << seconds(case_ms(run, s)) << "\"";
      if (!error.empty()) {
        out << ">\n      <error type=\"simulator\" message=\"" << x("the simulator failed: " + error) << "\">"
            << x(error) << "</error>\n    </testcase>\n";
      } else if (!flag(s, "pass")) {
        out << ">\n      <failure type=\"" << (is_cut(s) ? text(s, "cut_by") : std::string("expectation"))
            << "\" message=\"" << x(failure_message(run, s)) << "\">" << x(failure_details(run, s))
            << "</failure>\n    </testcase>\n";
      } else {
        out << "/>\n";
      }
    }
    // The schema requires both, in this order.
    out << "    <system-out>";
    for (const auto& e : items(run, "timeline"))
      out << x(format_ms(field(e, "t_ms")) + " ms  " + text(e, "actor") + "  " + text(e, "kind") + "  " +
               text(e, "text") + "\n");
    out << "</system-out>\n    <system-err>" << x(error) << "</system-err>\n  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace sigtrust::reports
