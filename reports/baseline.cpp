#include "reports/baseline.hpp"

#include <map>
#include <sstream>

#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

struct Seen {
  std::string outcome;
  bool pass = false;
};

// Every session by key, in document order; a key seen twice (the same
// scenario run twice) is numbered so both are compared.
std::vector<std::pair<std::string, Seen>> sessions_of(const json& doc) {
  std::vector<std::pair<std::string, Seen>> out;
  std::map<std::string, int> seen;
  for (const auto& run : items(doc, "runs"))
    for (const auto& s : items(run, "sessions")) {
      std::string key = session_key(run, s);
      if (const int n = ++seen[key]; n > 1) key += " #" + std::to_string(n);
      out.push_back({key, {text(s, "outcome"), flag(s, "pass")}});
    }
  return out;
}

std::string pass_word(bool pass) { return pass ? "pass" : "FAIL"; }

}  // namespace

std::string session_key(const json& run, const json& session) {
  return text(run, "scenario") + " | " + text(run, "attack") + " | " + text(run, "trust") + " | " +
         text(session, "offerer") + " -> " + text(session, "answerer") + " | round " +
         (field(session, "round").is_number() ? text(session, "round") : "0");
}

DocumentDiff diff_documents(const json& baseline, const json& now) {
  DocumentDiff d;
  const auto before = sessions_of(baseline);
  std::map<std::string, Seen> old_by_key(before.begin(), before.end());
  std::map<std::string, bool> matched;
  for (const auto& [key, seen] : sessions_of(now)) {
    auto it = old_by_key.find(key);
    if (it == old_by_key.end()) {
      d.added.push_back({key, "", seen.outcome, false, seen.pass});
      continue;
    }
    matched[key] = true;
    if (it->second.outcome != seen.outcome || it->second.pass != seen.pass)
      d.changed.push_back({key, it->second.outcome, seen.outcome, it->second.pass, seen.pass});
    else ++d.unchanged;
  }
  for (const auto& [key, seen] : before)
    if (!matched.count(key)) d.removed.push_back({key, seen.outcome, "", seen.pass, false});
  return d;
}

std::string diff_text(const DocumentDiff& d) {
  std::ostringstream out;
  for (const auto& c : d.changed)
    out << "changed  " << c.key << ": " << c.old_outcome << " (" << pass_word(c.old_pass) << ") -> " << c.new_outcome
        << " (" << pass_word(c.new_pass) << ")\n";
  for (const auto& c : d.added)
    out << "new      " << c.key << ": " << c.new_outcome << " (" << pass_word(c.new_pass) << ")\n";
  for (const auto& c : d.removed)
    out << "gone     " << c.key << ": was " << c.old_outcome << " (" << pass_word(c.old_pass) << ")\n";
  out << d.changed.size() << " changed, " << d.added.size() << " new, " << d.removed.size() << " gone, " << d.unchanged
      << " unchanged\n";
  return out.str();
}

void apply_baseline(json& doc, const json& baseline) {
  const auto before = sessions_of(baseline);
  std::map<std::string, Seen> old_by_key(before.begin(), before.end());
  std::map<std::string, int> seen;
  std::size_t changed = 0, added = 0, unchanged = 0, matched = 0;
  if (!doc.contains("runs") || !doc["runs"].is_array()) return;
  for (auto& run : doc["runs"]) {
    if (!run.contains("sessions") || !run["sessions"].is_array()) continue;
    for (auto& s : run["sessions"]) {
      std::string key = session_key(run, s);
      if (const int n = ++seen[key]; n > 1) key += " #" + std::to_string(n);
      auto it = old_by_key.find(key);
      if (it == old_by_key.end()) {
        s["baseline"] = {{"state", "new"}, {"outcome", nullptr}};
        ++added;
        continue;
      }
      ++matched;
      const bool same = it->second.outcome == text(s, "outcome") && it->second.pass == flag(s, "pass");
      s["baseline"] = {{"state", same ? "unchanged" : "updated"}, {"outcome", it->second.outcome}};
      ++(same ? unchanged : changed);
    }
  }
  doc["baseline"] = {
      {"changed", changed}, {"new", added}, {"absent", before.size() - matched}, {"unchanged", unchanged}};
}

}  // namespace sigtrust::reports
