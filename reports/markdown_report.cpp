#include "reports/markdown_report.hpp"

#include <sstream>

#include "reports/attack_notes.hpp"
#include "reports/escape.hpp"
#include "reports/interop_view.hpp"
#include "reports/line_diff.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

std::string md(const std::string& s) { return markdown_escape(s); }
std::string md(const json& j, std::string_view key) { return markdown_escape(text(j, key)); }

std::string joined(const std::vector<std::string>& v, const char* empty = "none") {
  if (v.empty()) return empty;
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "<br>") + md(s);
  return out;
}

void outcome_table(std::ostringstream& out, const json& doc) {
  out << "## Outcomes\n\n"
      << "| # | scenario | attack | trust | session | outcome | expected | result |\n"
      << "|---:|---|---|---|---|---|---|---|\n";
  std::size_t n = 0;
  for (const auto& run : items(doc, "runs")) {
    ++n;
    for (const auto& s : items(run, "sessions"))
      out << "| " << n << " | " << md(run, "scenario") << " | " << md(run, "attack") << " | " << md(run, "trust")
          << " | " << md(s, "offerer") << " → " << md(s, "answerer") << " | **" << md(s, "outcome") << "**"
          << (is_cut(s)
                  ? " (" + md(std::string(is_provisional(s) ? "provisional, " : "") + "cut: " + text(s, "cut_by")) + ")"
                  : "")
          << " | " << md(s, "expected") << " | " << (flag(s, "pass") ? "pass" : "**FAIL**") << " |\n";
    if (items(run, "sessions").empty())
      out << "| " << n << " | " << md(run, "scenario") << " | " << md(run, "attack") << " | " << md(run, "trust")
          << " | (no session) | | | " << (text(run, "error").empty() ? "" : "**simulator error**") << " |\n";
  }
  out << "\n";
}

void matrix_table(std::ostringstream& out, const json& doc) {
  const Matrix m = matrix_of(doc);
  if (!has_matrix(m)) return;
  out << "## Matrix\n\nRows are attacks, columns trust configurations, cells the outcomes measured.\n\n"
      << "| attack \\\\ trust |";
  for (const auto& t : m.trusts) out << " " << md(t) << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < m.trusts.size(); ++i) out << "---|";
  out << "\n";
  for (const auto& a : m.attacks) {
    out << "| " << md(a) << " |";
    for (const auto& t : m.trusts) {
      const auto* c = m.cell(a, t);
      out << " " << (c ? md(cell_summary(*c)) : "") << " |";
    }
    out << "\n";
  }
  out << "\n";
}

// An interop document's table: attacks × ordered pairs of stacks, what the
// stacks said as numbered notes under it, then each stack's version. False
// if `doc` has none.
bool interop_matrix(std::ostringstream& out, const json& doc) {
  const InteropTable t = interop_table(doc);
  if (t.pairs.empty()) return false;
  out << "## Stacks × attacks\n\nRows are attacks, columns ordered pairs of stacks (offerer → answerer), cells the "
         "outcomes measured; a number refers to the note below the table: what the stacks said.\n\n"
      << "| attack \\\\ offerer → answerer |";
  for (const auto& p : t.pairs) out << " " << md(p) << " |";
  out << "\n|---|";
  for (std::size_t i = 0; i < t.pairs.size(); ++i) out << "---|";
  out << "\n";
  std::vector<std::string> notes;
  for (const auto& a : t.attacks) {
    out << "| " << md(a) << " |";
    for (const auto& p : t.pairs) {
      const InteropCell* c = t.cell(a, p);
      if (c && !c->note.empty()) notes.push_back(md(a) + ", " + md(p) + ": " + md(c->note));
      out << " " << (c ? md(c->outcome) : "")
          << (c && !c->note.empty() ? " (" + std::to_string(notes.size()) + ")" : "")
          << (c && !c->met ? " ≠ expected " + md(c->expected) : "") << " |";
    }
    out << "\n";
  }
  out << "\n";
  for (std::size_t i = 0; i < notes.size(); ++i) out << i + 1 << ". " << notes[i] << "\n";
  out << (notes.empty() ? "" : "\n") << "| stack | version |\n|---|---|\n";
  for (const auto& [name, version] : t.versions) out << "| " << md(name) << " | " << md(version) << " |\n";
  out << "\n";
  return true;
}

void session_section(std::ostringstream& out, const json& run, const json& s) {
  out << "### " << md(s, "offerer") << " → " << md(s, "answerer") << ": " << md(s, "outcome") << " (expected "
      << md(s, "expected") << ", " << (flag(s, "pass") ? "pass" : "**FAIL**") << ")\n\n";
  if (const auto cut = cut_note(run, s); !cut.empty()) out << "**" << md(cut) << ".**\n\n";
  out << "| peer | trust | own fingerprint (in the SDP it sent) | fingerprints in the SDP it received | "
         "certificate it saw in DTLS | owner of that certificate | alarms | failure |\n"
      << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& name : session_peers(s)) {
    const json& p = field(field(s, "peers"), name);
    const std::string owner = text(p, "dtls_peer_owner");
    out << "| " << md(name) << " | " << md(p, "trust") << " | " << joined(sent_fingerprints(run, name), "unknown")
        << " | " << joined(texts(p, "sdp_fingerprints")) << " | "
        << (text(p, "dtls_peer_fingerprint").empty() ? "none" : md(p, "dtls_peer_fingerprint")) << " | "
        << (owner.empty() ? "-" : "**" + md(owner) + "**") << " | " << joined(texts(p, "alarms")) << " | "
        << (text(p, "failure").empty() ? "" : md(p, "failure")) << " |\n";
  }
  const json& t = field(s, "timings_ms");
  out << "\nTimings: ICE " << format_ms(field(t, "ice")) << " ms, DTLS " << format_ms(field(t, "dtls")) << " ms, total "
      << format_ms(field(t, "total")) << " ms.\n\n";

  const json& attacker = field(s, "attacker");
  const auto read = texts(attacker, "plaintext_read");
  if (read.empty()) {
    out << "The attacker read no plaintext";
  } else {
    out << "**The attacker read " << read.size() << " plaintext message(s)**";
  }
  out << " (" << text(attacker, "ciphertext_bytes") << " ciphertext bytes through it)"
      << (read.empty() ? ".\n" : ":\n");
  for (const auto& m : read) out << "\n- " << md(m);
  if (!read.empty()) out << "\n";
  if (const auto grind = grind_note(attacker); !grind.empty()) out << "\n" << md(grind) << ".\n";
  if (const auto media = media_note(attacker); !media.empty()) out << "\n" << md(media) << ".\n";
  if (const auto changed = texts(attacker, "rewritten"); !changed.empty()) {
    out << "\n**Changed in flight:**\n";
    for (const auto& c : changed) out << "\n- " << md(c);
    out << "\n";
  }
  out << "\n";
}

void rewrites_section(std::ostringstream& out, const json& run) {
  const auto list = rewrites(run);
  if (list.empty()) return;
  out << "### Rewritten messages\n\n";
  for (const auto& r : list) {
    out << "#### " << md(r.what()) << " " << md(r.from) << " → " << md(r.to) << " at " << format_ms(json(r.t_ms))
        << " ms\n\n"
        << md(r.actor) << ": " << md(r.text) << "\n\n";
    const std::string diff = unified(line_diff(r.before, r.after));
    const std::string fence = markdown_fence(diff);
    out << fence << "diff\n" << diff << fence << "\n\n";
  }
}

void alarms_section(std::ostringstream& out, const json& run) {
  out << "### Alarms\n\n";
  bool any = false;
  for (const auto& e : items(run, "timeline")) {
    if (text(e, "kind") != "alarm") continue;
    any = true;
    out << "- " << format_ms(field(e, "t_ms")) << " ms, " << md(e, "actor") << ": " << md(e, "text") << "\n";
  }
  if (!any) out << "No alarm was raised.\n";
  out << "\n";
}

void timeline_section(std::ostringstream& out, const json& run) {
  const json& timeline = items(run, "timeline");
  if (timeline.empty()) return;
  out << "### Timeline\n\n| t (ms) | actor | event | what happened |\n|---:|---|---|---|\n";
  for (const auto& e : timeline)
    out << "| " << format_ms(field(e, "t_ms")) << " | " << md(e, "actor") << " | " << md(e, "kind") << " | "
        << md(e, "text") << " |\n";
  out << "\n";
}

}  // namespace

std::string markdown_report(const json& doc) {
  std::ostringstream out;
  const Totals tot = totals(doc);
  out << "# sigtrust report\n\n"
      << md(doc, "tool") << " " << md(doc, "version") << ": " << tot.runs << " run(s), " << tot.sessions
      << " session(s), " << tot.failed << " expectation(s) failed, " << tot.errors << " simulator error(s).\n\n";
  outcome_table(out, doc);
  if (!interop_matrix(out, doc)) matrix_table(out, doc);
  std::size_t n = 0;
  for (const auto& run : items(doc, "runs")) {
    ++n;
    const AttackNote note = attack_note(text(run, "attack"));
    out << "## Run " << n << ": " << md(run, "scenario") << "\n\n"
        << "- scenario file: " << md(run, "file") << "\n"
        << "- attack: " << md(run, "attack") << " (" << md(std::string(note.position))
        << "): " << md(std::string(note.summary)) << "\n"
        << "- trust: " << md(run, "trust") << "\n"
        << "- network: " << md(run, "network") << ", run took " << format_ms(field(run, "duration_ms")) << " ms"
        << (flag(run, "deadline_reached") ? ", **the deadline was reached**" : "")
        << (flag(run, "interrupted") ? ", **interrupted** (stopped from outside)" : "") << "\n";
    if (const auto e = text(run, "error"); !e.empty()) out << "- **simulator error:** " << md(e) << "\n";
    out << "\n";
    for (const auto& s : items(run, "sessions")) session_section(out, run, s);
    rewrites_section(out, run);
    alarms_section(out, run);
    timeline_section(out, run);
  }
  return out.str();
}

}  // namespace sigtrust::reports
