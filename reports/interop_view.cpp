#include "reports/interop_view.hpp"

#include <algorithm>

#include "reports/merge.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {

bool is_interop(const json& doc) { return text(doc, "command") == "interop" && !doc.contains("runs"); }

std::string check_interop_document(const json& doc) {
  if (!doc.contains("cells") || !doc.at("cells").is_array()) return "$.cells: expected an array";
  const json& cells = doc.at("cells");
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string path = "$.cells[" + std::to_string(i) + "]";
    if (!cells[i].is_object()) return path + ": expected an object";
    for (const char* key : {"offerer", "answerer", "attack", "outcome"})
      if (!cells[i].contains(key) || !cells[i].at(key).is_string()) return path + "." + key + ": expected a string";
  }
  if (doc.contains("stacks")) {
    if (!doc.at("stacks").is_array()) return "$.stacks: expected an array";
    for (std::size_t i = 0; i < doc.at("stacks").size(); ++i)
      if (!doc.at("stacks")[i].is_object()) return "$.stacks[" + std::to_string(i) + "]: expected an object";
  }
  return "";
}

std::string interop_cell_id(const json& cell) {
  const std::string id = text(cell, "cell");
  return id.empty() ? text(cell, "offerer") + "/" + text(cell, "answerer") + "/" + text(cell, "attack") : id;
}

namespace {

json event(const std::string& kind, const std::string& actor, const std::string& what) {
  return {{"t_ms", 0}, {"actor", actor}, {"kind", kind}, {"text", what}};
}

json run_of_cell(const json& cell, const std::string& expectations_file) {
  const std::string pair = text(cell, "offerer") + "/" + text(cell, "answerer");
  json timeline = json::array();
  // The runs before the last, when the cell deviated and was run again (`--reruns`).
  const json& earlier = items(cell, "earlier_runs");
  for (std::size_t i = 0; i < earlier.size(); ++i) {
    const std::string why = text(earlier[i], "why"), failure = text(earlier[i], "failure");
    timeline.push_back(event("interop.rerun", "interop",
                             "run " + std::to_string(i + 1) + " of " + std::to_string(earlier.size() + 1) + " gave " +
                                 text(earlier[i], "outcome") + ": " + (failure.empty() ? why : failure)));
  }
  if (const std::string why = text(cell, "why"); !why.empty()) timeline.push_back(event("relay.outcome", "relay", why));
  if (const std::string failure = text(cell, "failure"); !failure.empty()) {
    const std::string tail = text(cell, "stderr_tail");
    timeline.push_back(event("interop.failure", "interop", failure + (tail.empty() ? "" : "\n" + tail)));
  }
  // The adapters join as alice (offerer) and bob (answerer); the view names
  // each with its stack, and so keys the relay's account of each.
  const std::string alice = "alice (" + text(cell, "offerer") + ")", bob = "bob (" + text(cell, "answerer") + ")";
  json peers = json::object();
  if (const json& p = field(field(cell, "peers"), "alice"); p.is_object()) peers[alice] = p;
  if (const json& p = field(field(cell, "peers"), "bob"); p.is_object()) peers[bob] = p;
  json session = {{"offerer", alice},
                  {"answerer", bob},
                  {"peers", peers},
                  {"outcome", text(cell, "outcome")},
                  {"expected", field(cell, "expected").is_string() ? field(cell, "expected") : json(nullptr)},
                  {"pass", flag(cell, "met")}};
  if (const std::string v = text(cell, "version"); !v.empty()) session["version"] = v;
  const double seconds = number(cell, "seconds", -1);
  for (const char* key : {"attacker", "timings_ms"})
    if (field(cell, key).is_object()) session[key] = field(cell, key);
  // Without the relay's total (a live session has none), the cell's wall time.
  if (seconds >= 0 && !field(field(session, "timings_ms"), "total").is_number())
    session["timings_ms"]["total"] = seconds * 1000;
  return {{"cell", interop_cell_id(cell)},
          {"scenario", interop_cell_id(cell)},
          {"description", text(cell, "expected_reason")},
          {"file", expectations_file},
          {"attack", text(cell, "attack")},
          {"trust", pair},
          {"error", nullptr},
          {"duration_ms", seconds < 0 ? json(nullptr) : json(seconds * 1000)},
          {"sessions", json::array({session})},
          {"timeline", timeline}};
}

}  // namespace

json runs_view(const json& doc) {
  if (!is_interop(doc)) return doc;
  json view = {{"tool", text(doc, "tool")}, {"version", text(doc, "version")}, {"command", "interop"}};
  for (const char* key : {"created", "expectations", "shard", "merged", "interrupted_by", "stacks"})
    if (doc.contains(key)) view[key] = doc.at(key);
  const std::string file = text(field(doc, "expectations"), "file");
  json runs = json::array();
  for (const auto& cell : items(doc, "cells")) runs.push_back(run_of_cell(cell, file));
  view["summary"] = summary_of(runs);
  view["runs"] = std::move(runs);
  return view;
}

namespace {

void add_once(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// What the stacks of a cell said: "alice (werift): ERROR" for each adapter
// that reported an error, else the adapter failure the interop command saw;
// then what each earlier run of the cell gave, if it was run again.
std::string cell_note(const json& run, const json& session) {
  std::string note;
  for (const auto& name : session_peers(session))
    if (const std::string e = text(field(field(session, "peers"), name), "failure"); !e.empty())
      note += (note.empty() ? "" : "; ") + name + ": " + e;
  if (note.empty())
    for (const auto& e : items(run, "timeline"))
      if (text(e, "kind") == "interop.failure") {
        const std::string t = text(e, "text");
        note = t.substr(0, t.find('\n'));
        break;
      }
  for (const auto& e : items(run, "timeline"))
    if (text(e, "kind") == "interop.rerun") note += (note.empty() ? "" : "; ") + text(e, "text");
  return note;
}

}  // namespace

const InteropCell* InteropTable::cell(const std::string& attack, const std::string& pair) const {
  auto it = cells.find({attack, pair});
  return it == cells.end() ? nullptr : &it->second;
}

InteropTable interop_table(const json& view) {
  InteropTable t;
  if (text(view, "command") != "interop") return t;
  for (const auto& run : items(view, "runs")) {
    const json& s = items(run, "sessions").empty() ? json() : items(run, "sessions").back();
    std::string pair = text(run, "trust");
    if (const auto slash = pair.find('/'); slash != std::string::npos) pair.replace(slash, 1, " → ");
    const std::string attack = text(run, "attack");
    add_once(t.attacks, attack);
    add_once(t.pairs, pair);
    t.cells[{attack, pair}] = {text(s, "outcome"), text(s, "expected"), cell_note(run, s), flag(s, "pass")};
  }
  for (const auto& st : items(view, "stacks"))
    t.versions.emplace_back(
        text(st, "name"), field(st, "present").is_boolean() && !flag(st, "present") ? "missing" : text(st, "version"));
  return t;
}

json interop_summary(const json& doc) {
  std::size_t deviations = 0, met_on_rerun = 0;
  for (const auto& cell : items(doc, "cells"))
    if (!flag(cell, "met")) ++deviations;
    else if (!items(cell, "earlier_runs").empty()) ++met_on_rerun;
  json missing = json::array();
  for (const auto& s : items(doc, "stacks"))
    if (field(s, "present").is_boolean() && !flag(s, "present")) missing.push_back(text(s, "name"));
  return {{"cells", items(doc, "cells").size()},
          {"deviations", deviations},
          {"met_on_rerun", met_on_rerun},
          {"missing_stacks", missing}};
}

std::string interop_summary_line(const json& summary) {
  std::string line = summary["cells"].dump() + " cell(s), " + summary["deviations"].dump() + " deviation(s)";
  if (summary["met_on_rerun"] != 0) line += ", " + summary["met_on_rerun"].dump() + " met only on a rerun";
  if (!summary["missing_stacks"].empty()) line += ", missing stack(s) " + summary["missing_stacks"].dump();
  return line;
}

}  // namespace sigtrust::reports
