#include "reports/terminal_report.hpp"

#include <sstream>

#include "reports/escape.hpp"
#include "reports/json_report.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

const char* colour_of(const std::string& outcome) {
  if (outcome == "secure") return "\033[32m";
  if (outcome == "detected") return "\033[36m";
  if (outcome == "mitm-undetected") return "\033[1;31m";
  if (outcome == "mitm-detected-late") return "\033[31m";
  if (outcome == "failed") return "\033[33m";
  return "\033[35m";  // error, or a name this build does not know
}

// Display width of UTF-8 text (code points; the text here has no wide glyphs).
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

// Every string from the document goes through here before it is printed.
std::string t(const json& j, std::string_view key) { return terminal_escape(text(j, key)); }

// Column headers longer than this are footnotes (see matrix_table).
constexpr std::size_t kMaxHeadWidth = 40;

std::string pad(const std::string& s, std::size_t w) { return s + std::string(w > width(s) ? w - width(s) : 0, ' '); }

void matrix_table(std::ostringstream& out, const json& doc, const TerminalStyle& style) {
  const Matrix m = matrix_of(doc);
  if (!has_matrix(m)) return;
  const std::string corner = "attack \\ trust";
  std::size_t first = width(corner);
  for (const auto& a : m.attacks) first = std::max(first, width(terminal_escape(a)));
  // A run whose peers use different trust configurations is a column named
  // by all of them ("alice=…,bob=…"): headed [n], spelt out under the table,
  // so one such run does not widen the table past any terminal.
  std::vector<std::string> heads, notes;
  for (const auto& t : m.trusts) {
    const std::string name = terminal_escape(t);
    if (width(name) <= kMaxHeadWidth) {
      heads.push_back(name);
    } else {
      notes.push_back(name);
      heads.push_back((name.find('=') != std::string::npos ? "per peer [" : "[") + std::to_string(notes.size()) + "]");
    }
  }
  std::vector<std::size_t> widths;
  for (std::size_t i = 0; i < m.trusts.size(); ++i) {
    const auto& t = m.trusts[i];
    std::size_t w = width(heads[i]);
    for (const auto& a : m.attacks)
      if (const auto* c = m.cell(a, t)) w = std::max(w, width(terminal_escape(cell_summary(*c))));
    widths.push_back(w);
  }
  out << "\n" << pad(corner, first);
  for (std::size_t i = 0; i < m.trusts.size(); ++i)
    out << "  " << (i + 1 == m.trusts.size() ? heads[i] : pad(heads[i], widths[i]));
  out << "\n";
  for (const auto& a : m.attacks) {
    out << pad(terminal_escape(a), first);
    for (std::size_t i = 0; i < m.trusts.size(); ++i) {
      const auto* c = m.cell(a, m.trusts[i]);
      const std::string s = c ? terminal_escape(cell_summary(*c)) : "-";
      const bool coloured = style.colour && c && !c->empty();
      const bool last = i + 1 == m.trusts.size();
      out << "  " << (coloured ? colour_of(c->front().outcome) : "") << (last ? s : pad(s, widths[i]))
          << (coloured ? "\033[0m" : "");
    }
    out << "\n";
  }
  for (std::size_t i = 0; i < notes.size(); ++i) out << "[" << i + 1 << "] " << notes[i] << "\n";
}

}  // namespace

std::string terminal_summary(const json& doc, const TerminalStyle& style) {
  std::ostringstream out;
  const char* reset = style.colour ? "\033[0m" : "";
  for (const auto& run : items(doc, "runs")) {
    out << t(run, "scenario") << "  (attack " << t(run, "attack") << ", trust " << t(run, "trust") << ")\n";
    if (const auto e = t(run, "error"); !e.empty()) out << "  simulator error: " << e << "\n";
    if (flag(run, "interrupted")) out << "  interrupted: stopped from outside before the run finished\n";
    for (const auto& s : items(run, "sessions")) {
      const std::string outcome = t(s, "outcome");
      const bool pass = flag(s, "pass");
      const std::string expected = t(s, "expected");
      out << "  " << t(s, "offerer") << " -> " << t(s, "answerer") << ": " << (style.colour ? colour_of(outcome) : "")
          << outcome << reset;
      // A live relay session (sigtrust relay) states no expectation and has no run timings.
      if (expected.empty()) out << "  (live, room " << t(s, "room") << ")";
      else
        out << "  expected " << expected << "  " << (pass ? "PASS" : "FAIL") << "  ("
            << format_ms(field(field(s, "timings_ms"), "total")) << " ms)";
      // On the session's own line: a cut session must not read like a finding.
      if (const auto cut = cut_note(run, s); !cut.empty())
        out << "  " << (style.colour ? "\033[1;35m" : "") << "[" << terminal_escape(cut) << "]" << reset;
      out << "\n";
      for (const auto& name : session_peers(s)) {
        const json& p = field(field(s, "peers"), name);
        const std::string owner = t(p, "dtls_peer_owner");
        out << "    " << terminal_escape(name) << ": saw "
            << (owner.empty() ? std::string("no certificate") : "certificate of " + owner);
        if (const auto alarms = texts(p, "alarms"); !alarms.empty()) {
          out << "; alarms:";
          for (const auto& a : alarms) out << " " << terminal_escape(a);
        }
        if (const auto f = t(p, "failure"); !f.empty()) out << "; " << f;
        out << "\n";
      }
      if (const auto read = texts(field(s, "attacker"), "plaintext_read"); !read.empty())
        out << "    attacker read " << read.size() << " plaintext message(s)\n";
      if (const auto grind = grind_note(field(s, "attacker")); !grind.empty())
        out << "    " << terminal_escape(grind) << "\n";
      if (const auto media = media_note(field(s, "attacker")); !media.empty())
        out << "    " << terminal_escape(media) << "\n";
    }
    if (style.verbose)
      for (const auto& e : items(run, "timeline"))
        out << "    " << format_ms(field(e, "t_ms")) << " ms  " << t(e, "actor") << "  " << t(e, "kind") << "  "
            << t(e, "text") << "\n";
  }
  matrix_table(out, doc, style);
  const Totals tot = totals(doc);
  out << tot.runs << " run(s), " << tot.sessions << " session(s), " << tot.failed << " expectation(s) failed\n";
  return out.str();
}

std::string terminal_summary(const std::vector<RunResult>& runs, const TerminalStyle& style) {
  return terminal_summary(result_document(runs), style);
}

std::string terminal_matrix(const nlohmann::json& doc, const TerminalStyle& style) {
  std::ostringstream out;
  matrix_table(out, doc, style);
  return out.str();
}

}  // namespace sigtrust::reports
