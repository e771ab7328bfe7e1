#include "reports/terminal_report.hpp"

#include <cstdio>
#include <sstream>

namespace sigtrust::reports {
namespace {

const char* colour_of(Outcome o) {
  switch (o) {
    case Outcome::Secure: return "\033[32m";
    case Outcome::Detected: return "\033[36m";
    case Outcome::MitmUndetected: return "\033[1;31m";
    case Outcome::MitmDetectedLate: return "\033[31m";
    case Outcome::Failed: return "\033[33m";
    case Outcome::Error: return "\033[35m";
  }
  return "";
}

std::string fixed(double v) {
  if (v < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string terminal_summary(const std::vector<RunResult>& runs, const TerminalStyle& style) {
  std::ostringstream out;
  size_t sessions = 0, failed = 0;
  const char* reset = style.colour ? "\033[0m" : "";
  for (const auto& run : runs) {
    out << run.scenario << "  (attack " << run.attack << ", trust " << run.trust << ")\n";
    if (!run.error.empty()) out << "  simulator error: " << run.error << "\n";
    for (const auto& s : run.sessions) {
      ++sessions;
      if (!s.pass) ++failed;
      out << "  " << s.offerer << " -> " << s.answerer << ": " << (style.colour ? colour_of(s.outcome) : "")
          << to_string(s.outcome) << reset << "  expected " << s.expected << "  " << (s.pass ? "PASS" : "FAIL")
          << "  (" << fixed(s.total_ms) << " ms)\n";
      for (const PeerResult* p : {&s.offerer_result, &s.answerer_result}) {
        out << "    " << p->report.name << ": saw " << (p->dtls_peer_owner.empty() ? std::string("no certificate") : "certificate of " + p->dtls_peer_owner);
        if (!p->report.alarms.empty()) {
          out << "; alarms:";
          for (const auto& a : p->report.alarms) out << " " << a;
        }
        if (!p->report.failure.empty()) out << "; " << p->report.failure;
        out << "\n";
      }
      if (!s.attacker.plaintext_read.empty())
        out << "    attacker read " << s.attacker.plaintext_read.size() << " plaintext message(s)\n";
    }
    if (style.verbose)
      for (const auto& e : run.timeline) out << "    " << fixed(e.t_ms) << " ms  " << e.actor << "  " << e.kind << "  " << e.text << "\n";
  }
  out << runs.size() << " run(s), " << sessions << " session(s), " << failed << " expectation(s) failed\n";
  return out.str();
}

}  // namespace sigtrust::reports
