#include "reports/html_report.hpp"

#include <sstream>

#include "reports/attack_notes.hpp"
#include "reports/escape.hpp"
#include "reports/interop_view.hpp"
#include "reports/line_diff.hpp"
#include "reports/result_view.hpp"
#include "reports/sequence_diagram.hpp"

namespace sigtrust::reports {
namespace {

std::string h(const std::string& s) { return html_escape(s); }
std::string h(const json& j, std::string_view key) { return html_escape(text(j, key)); }

// A CSS class from a name in the document: only [a-z0-9-] survive.
std::string css_class(const std::string& s) {
  std::string out;
  for (char c : s)
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out += c;
  return out.empty() ? "unknown" : out;
}

std::string outcome_span(const std::string& outcome) {
  return "<span class=\"outcome o-" + css_class(outcome) + "\">" + h(outcome) + "</span>";
}

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1d1d1f;background:#fff}
h1{margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:1.8em}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f5}td.num{text-align:right}code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.outcome{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;white-space:nowrap}
.o-secure{background:#d6f5dd;color:#0b5d1e}.o-detected{background:#d4eef7;color:#075067}
.o-mitm-undetected{background:#c62828;color:#fff}.o-mitm-detected-late{background:#f8d0d0;color:#8b0000}
.o-failed{background:#fff1c2;color:#6b4e00}.o-error,.o-unknown{background:#ead7f5;color:#4a1466}
table.matrix th{white-space:nowrap}.pass{color:#0b5d1e;font-weight:600}.fail{color:#c62828;font-weight:700}
.verdict{padding:8px 12px;border-left:5px solid #888;background:#f7f7f9}.verdict.bad{border-color:#c62828}.verdict.good{border-color:#2e7d32}
.cut{color:#6a1b9a;font-weight:bold}
.note{color:#555}.owner-bad{color:#c62828;font-weight:700}.owner-good{color:#2e7d32;font-weight:600}
pre.diff{background:#fafafa;border:1px solid #ddd;padding:8px;overflow-x:auto;font-size:12px}
pre.diff .add{background:#e6ffec;color:#116329;display:block}pre.diff .del{background:#ffebe9;color:#82071e;display:block}
pre.diff .same{display:block;color:#555}
figure{margin:8px 0;overflow-x:auto}
svg.sequence{font:11px system-ui,sans-serif;background:#fcfcfd;border:1px solid #e3e3e8}
svg.sequence .lifeline rect{fill:#eef1f8;stroke:#6b7bb5}svg.sequence .lifeline text{font-weight:700;font-size:12px}
svg.sequence .lifeline line{stroke:#aab;stroke-dasharray:4 4}svg.sequence .time{fill:#888;font-size:10px}
svg.sequence .legend line{stroke:#555;stroke-width:1.4}svg.sequence .legend rect{fill:#f1f1f4;stroke:#bbb}
svg.sequence .step line{stroke:#555;stroke-width:1.4}svg.sequence .head-signaling{fill:#555}
svg.sequence .rewritten line{stroke:#c62828;stroke-width:2.4}svg.sequence .rewritten text{fill:#c62828;font-weight:700}
svg.sequence .head-rewritten{fill:#c62828}svg.sequence .ice line{stroke:#1565c0}svg.sequence .head-ice{fill:#1565c0}
svg.sequence .dtls line{stroke:#6a1b9a;stroke-width:2}svg.sequence .head-dtls{fill:#6a1b9a}
svg.sequence .data line{stroke:#2e7d32;stroke-dasharray:6 3}svg.sequence .head-data{fill:#2e7d32}
svg.sequence .step rect{fill:#f1f1f4;stroke:#bbb}svg.sequence .alarm rect{fill:#ffd6d6;stroke:#c62828}
svg.sequence .attack rect,svg.sequence .rewritten rect{fill:#ffe9e0;stroke:#d84315}svg.sequence .ok rect{fill:#e3f5e6;stroke:#2e7d32}
svg.sequence line.divider{stroke:#888;stroke-dasharray:2 3}svg.sequence text.divider{fill:#555;font-style:italic}
details summary{cursor:pointer;font-weight:600;margin:8px 0}footer{margin-top:3em;color:#777;font-size:12px}
)";

std::string verdict_sentence(const json& s) {
  const std::string o = text(s, "outcome");
  std::vector<std::string> owners;
  for (const auto& name : session_peers(s)) {
    const std::string owner = text(field(field(s, "peers"), name), "dtls_peer_owner");
    if (!owner.empty()) owners.push_back(name + " talked to " + owner);
  }
  std::string who;
  for (const auto& w : owners) who += (who.empty() ? "" : ", ") + w;
  const auto read = texts(field(s, "attacker"), "plaintext_read");
  const std::string reads = read.empty() ? "" : " The attacker read " + std::to_string(read.size()) + " message(s).";
  if (o == "secure") return "Each end talked to the intended peer (" + who + ")." + reads;
  if (o == "mitm-undetected") return "Someone else terminated DTLS (" + who + ") and nobody raised an alarm." + reads;
  if (o == "mitm-detected-late")
    return "Someone else terminated DTLS (" + who + "); an alarm was raised but did not stop the data." + reads;
  if (o == "detected") return "An alarm stopped the session before any data." + reads;
  if (o == "failed") return "No connection and no alarm: a denial of service." + reads;
  if (o == "error") return "The simulator itself failed; this is not an outcome of the attack.";
  return "Outcome " + o + ".";
}

void outcome_table(std::ostringstream& out, const json& doc) {
  out << "<section id=\"outcomes\"><h2>Outcomes</h2>\n<table class=\"outcomes\"><thead><tr><th>#</th><th>scenario</th>"
         "<th>attack</th><th>trust</th><th>session</th><th>outcome</th><th>expected</th><th>result</th></tr></thead>"
         "<tbody>\n";
  std::size_t n = 0;
  for (const auto& run : items(doc, "runs")) {
    ++n;
    for (const auto& s : items(run, "sessions")) {
      const bool pass = flag(s, "pass");
      out << "<tr><td class=\"num\"><a href=\"#run-" << n << "\">" << n << "</a></td><td>" << h(run, "scenario")
          << "</td><td>" << h(run, "attack") << "</td><td>" << h(run, "trust") << "</td><td>" << h(s, "offerer")
          << " &rarr; " << h(s, "answerer") << "</td><td class=\"cell\">" << outcome_span(text(s, "outcome"))
          << (is_cut(s) ? " <span class=\"cut\">(" +
                              h(std::string(is_provisional(s) ? "provisional, " : "") + "cut: " + text(s, "cut_by")) +
                              ")</span>"
                        : "")
          << "</td><td>" << h(s, "expected") << "</td><td class=\"" << (pass ? "pass\">pass" : "fail\">FAIL")
          << "</td></tr>\n";
    }
  }
  out << "</tbody></table></section>\n";
}

void matrix_table(std::ostringstream& out, const json& doc) {
  const Matrix m = matrix_of(doc);
  if (!has_matrix(m)) return;
  out << "<section id=\"matrix\"><h2>Matrix</h2><p class=\"note\">Rows are attacks, columns trust configurations, "
         "cells the outcomes measured.</p>\n<table class=\"matrix\"><thead><tr><th>attack \\ trust</th>";
  for (const auto& t : m.trusts) out << "<th>" << h(t) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& a : m.attacks) {
    out << "<tr><th>" << h(a) << "</th>";
    for (const auto& t : m.trusts) {
      const auto* c = m.cell(a, t);
      if (!c || c->empty()) {
        out << "<td></td>";
        continue;
      }
      out << "<td class=\"cell\">";
      const auto entries = cell_entries(*c);
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        out << (i ? "<br>" : "") << outcome_span(e.outcome);
        if (entries.size() > 1) out << " <span class=\"note\">" << h(e.scenario) << "</span>";
        if (!e.pass) out << " <span class=\"fail\">&ne; expected " << h(e.expected) << "</span>";
      }
      out << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table></section>\n";
}

// An interop document's table: attacks × ordered pairs of stacks, what the
// stacks said on hover, then each stack's version. False if `doc` has none.
bool interop_matrix(std::ostringstream& out, const json& doc) {
  const InteropTable t = interop_table(doc);
  if (t.pairs.empty()) return false;
  out << "<section id=\"matrix\"><h2>Stacks × attacks</h2><p class=\"note\">Rows are attacks, columns ordered "
         "pairs of stacks (offerer &rarr; answerer), cells the outcomes measured; hover over a cell for what the "
         "stacks said.</p>\n<table class=\"matrix\"><thead><tr><th>attack \\ offerer &rarr; answerer</th>";
  for (const auto& p : t.pairs) out << "<th>" << h(p) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& a : t.attacks) {
    out << "<tr><th>" << h(a) << "</th>";
    for (const auto& p : t.pairs) {
      const InteropCell* c = t.cell(a, p);
      if (!c) {
        out << "<td></td>";
        continue;
      }
      out << "<td class=\"cell\"" << (c->note.empty() ? "" : " title=\"" + h(c->note) + "\"") << ">"
          << outcome_span(c->outcome) << (c->note.empty() ? "" : " <span class=\"note\">*</span>")
          << (c->met ? "" : " <span class=\"fail\">&ne; expected " + h(c->expected) + "</span>") << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n<table><thead><tr><th>stack</th><th>version</th></tr></thead><tbody>\n";
  for (const auto& [name, version] : t.versions)
    out << "<tr><td>" << h(name) << "</td><td>" << h(version) << "</td></tr>\n";
  out << "</tbody></table></section>\n";
  return true;
}

std::string list(const std::vector<std::string>& v, const char* empty) {
  if (v.empty()) return std::string("<span class=\"note\">") + empty + "</span>";
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "<br>") + ("<code>" + h(s) + "</code>");
  return out;
}

void session_block(std::ostringstream& out, const json& run, const json& s) {
  const std::string o = text(s, "outcome");
  const bool pass = flag(s, "pass");
  const bool bad = o == "mitm-undetected" || o == "mitm-detected-late" || o == "error";
  out << "<article class=\"session\"><h3>" << h(s, "offerer") << " &rarr; " << h(s, "answerer") << " "
      << outcome_span(o) << "</h3>\n<p class=\"verdict " << (bad ? "bad" : "good") << "\"><strong>Verdict:</strong> "
      << h(verdict_sentence(s)) << " Expected <strong>" << h(s, "expected") << "</strong>: <span class=\""
      << (pass ? "pass\">pass" : "fail\">FAIL") << "</span>.</p>\n";
  if (const auto cut = cut_note(run, s); !cut.empty())
    out << "<p class=\"verdict bad cut\"><strong>" << h(cut) << ".</strong></p>\n";
  out << "<table class=\"fingerprints\"><thead><tr><th>peer</th><th>trust</th><th>its own fingerprint (sent)</th>"
         "<th>fingerprint(s) it expected (SDP received)</th><th>certificate it saw in DTLS</th><th>owner</th>"
         "<th>alarms</th><th>failure</th></tr></thead><tbody>\n";
  const auto ends = session_peers(s);
  for (std::size_t i = 0; i < ends.size(); ++i) {
    const std::string& name = ends[i];
    const std::string& intended = ends[1 - i];
    const json& p = field(field(s, "peers"), name);
    const std::string owner = text(p, "dtls_peer_owner");
    const std::string seen = text(p, "dtls_peer_fingerprint");
    out << "<tr><th>" << h(name) << "</th><td>" << h(p, "trust") << "</td><td>"
        << list(sent_fingerprints(run, name), "unknown") << "</td><td>" << list(texts(p, "sdp_fingerprints"), "none")
        << "</td><td>" << (seen.empty() ? "<span class=\"note\">none</span>" : "<code>" + h(seen) + "</code>")
        << "</td><td>";
    if (owner.empty()) out << "<span class=\"note\">-</span>";
    else
      out << "<span class=\"" << (owner == intended ? "owner-good" : "owner-bad") << "\">" << h(owner)
          << (owner == intended ? " (intended)" : " (not " + h(intended) + ")") << "</span>";
    out << "</td><td>" << list(texts(p, "alarms"), "none") << "</td><td>" << h(p, "failure") << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  const json& attacker = field(s, "attacker");
  const auto read = texts(attacker, "plaintext_read");
  out << "<p><strong>What the attacker read:</strong> "
      << (read.empty() ? "nothing" : std::to_string(read.size()) + " message(s)") << " <span class=\"note\">("
      << h(attacker, "ciphertext_bytes") << " ciphertext bytes through it)</span></p>\n";
  if (!read.empty()) {
    out << "<ul class=\"read\">";
    for (const auto& m : read) out << "<li><code>" << h(m) << "</code></li>";
    out << "</ul>\n";
  }
  if (const auto grind = grind_note(attacker); !grind.empty())
    out << "<p><strong>SAS grind:</strong> " << h(grind) << ".</p>\n";
  if (const auto changed = texts(attacker, "rewritten"); !changed.empty()) {
    out << "<p><strong>Changed in flight:</strong></p><ul class=\"changed\">";
    for (const auto& c : changed) out << "<li><code>" << h(c) << "</code></li>";
    out << "</ul>\n";
  }
  // Recordings written under --report-dir DIR sit in DIR/media/, beside this page: linked relatively.
  if (const json& media = field(attacker, "media"); media.is_array() && !media.empty()) {
    out << "<p><strong>Media the attacker decrypted:</strong></p><ul class=\"media\">";
    for (const auto& m : media) {
      out << "<li>" << (text(m, "kind").empty() ? "RTP" : h(m, "kind")) << " from " << h(m, "from") << " ("
          << (text(m, "codec").empty() ? "unknown codec" : h(m, "codec")) << ", SSRC " << h(m, "ssrc")
          << "): " << h(m, "packets") << " packets, " << h(m, "bytes") << " bytes";
      for (const auto& f : texts(m, "files")) {
        const auto slash = f.rfind('/');
        const std::string name = slash == std::string::npos ? f : f.substr(slash + 1);
        const bool beside =
            slash != std::string::npos && f.substr(0, slash).ends_with("media") && (slash == 5 || f[slash - 6] == '/');
        out << " &mdash; <a href=\"" << h(beside ? "media/" + name : f) << "\">" << h(name) << "</a>";
      }
      out << "</li>";
    }
    out << "</ul>\n";
  }
  const json& t = field(s, "timings_ms");
  out << "<p class=\"note\">ICE " << format_ms(field(t, "ice")) << " ms, DTLS " << format_ms(field(t, "dtls"))
      << " ms, total " << format_ms(field(t, "total")) << " ms.</p></article>\n";
}

void diffs(std::ostringstream& out, const json& run) {
  const auto changes = rewrites(run);
  if (changes.empty()) return;
  out << "<h3>Rewritten messages</h3>\n";
  for (const auto& r : changes) {
    out << "<h4>" << h(r.what()) << " " << h(r.from) << " &rarr; " << h(r.to) << " at " << format_ms(json(r.t_ms))
        << " ms</h4><p>" << h(r.actor) << ": " << h(r.text) << "</p>\n<pre class=\"diff\">";
    for (const auto& d : line_diff(r.before, r.after)) {
      const char* cls = d.kind == DiffLine::Kind::Same ? "same" : d.kind == DiffLine::Kind::Removed ? "del" : "add";
      const char sign = d.kind == DiffLine::Kind::Same ? ' ' : d.kind == DiffLine::Kind::Removed ? '-' : '+';
      out << "<span class=\"" << cls << "\">" << sign << h(d.text) << "</span>";
    }
    out << "</pre>\n";
  }
}

void timeline(std::ostringstream& out, const json& run) {
  const json& events = items(run, "timeline");
  if (events.empty()) return;
  out << "<details class=\"timeline\"><summary>Timeline (" << events.size() << " events)</summary>\n"
      << "<table><thead><tr><th>t (ms)</th><th>actor</th><th>event</th><th>what happened</th></tr></thead><tbody>\n";
  for (const auto& e : events)
    out << "<tr><td class=\"num\">" << format_ms(field(e, "t_ms")) << "</td><td>" << h(e, "actor") << "</td><td>"
        << h(e, "kind") << "</td><td>" << h(e, "text") << "</td></tr>\n";
  out << "</tbody></table></details>\n";
}

}  // namespace

std::string html_report(const json& doc) {
  std::ostringstream out;
  const Totals tot = totals(doc);
  const bool ok = tot.failed == 0 && tot.errors == 0;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>sigtrust report</title>\n<style>"
      << kStyle << "</style></head>\n<body>\n<header><h1>sigtrust report</h1>\n<p>" << h(doc, "tool") << " "
      << h(doc, "version") << ": " << tot.runs << " run(s), " << tot.sessions << " session(s), " << tot.failed
      << " expectation(s) failed, " << tot.errors << " simulator error(s).</p>\n<p class=\"verdict "
      << (ok ? "good\">Every expectation was met." : "bad\">Some expectations were not met.") << "</p></header>\n";
  outcome_table(out, doc);
  if (!interop_matrix(out, doc)) matrix_table(out, doc);
  std::size_t n = 0;
  for (const auto& run : items(doc, "runs")) {
    ++n;
    const AttackNote note = attack_note(text(run, "attack"));
    out << "<section class=\"run\" id=\"run-" << n << "\"><h2>Run " << n << ": " << h(run, "scenario") << "</h2>\n"
        << "<p>Scenario file <code>" << h(run, "file") << "</code>; attack <strong>" << h(run, "attack")
        << "</strong> (" << h(std::string(note.position)) << "); trust <strong>" << h(run, "trust")
        << "</strong>; network <code>" << h(run, "network") << "</code>; the run took "
        << format_ms(field(run, "duration_ms")) << " ms"
        << (flag(run, "deadline_reached") ? "; <strong>the deadline was reached</strong>" : "")
        << (flag(run, "interrupted") ? "; <strong>interrupted</strong> (stopped from outside)" : "") << ".</p>\n"
        << "<p class=\"note\">" << h(std::string(note.help)) << "</p>\n";
    if (const auto e = text(run, "error"); !e.empty())
      out << "<p class=\"verdict bad\"><strong>Simulator error:</strong> " << h(e) << "</p>\n";
    for (const auto& s : items(run, "sessions")) session_block(out, run, s);
    const SequenceDiagram d = sequence_of(run);
    if (!d.steps.empty())
      out << "<h3>Sequence</h3>\n<figure>" << sequence_svg(d, "run" + std::to_string(n)) << "</figure>\n";
    diffs(out, run);
    timeline(out, run);
    out << "</section>\n";
  }
  out << "<footer>Rendered from the sigtrust result document. The page is self-contained: nothing is fetched when "
         "it is opened.</footer>\n</body></html>\n";
  return out.str();
}

}  // namespace sigtrust::reports
