#include "reports/merge.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "reports/interop_view.hpp"
#include "reports/result_view.hpp"

namespace sigtrust::reports {
namespace {

// At most this many cells are named in one message.
constexpr std::size_t kNamedCells = 5;

std::string some_cells(const std::vector<std::string>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size() && i < kNamedCells; ++i) out += (i ? ", " : "") + cells[i];
  if (cells.size() > kNamedCells) out += ", … " + std::to_string(cells.size()) + " in all";
  return out;
}

// What a document holds one per cell: runs, or an interop document's cells.
const json& entries(const json& doc) { return items(doc, is_interop(doc) ? "cells" : "runs"); }

std::string first_cell(const json& doc) {
  const auto& cells = entries(doc);
  return cells.empty() ? std::string("(no cells)") : cell_of(cells.front());
}

std::string kind_of(const json& doc) {
  return is_interop(doc) ? "an interop result document" : "a run/matrix result document";
}

std::string describe_expectations(const json& e) {
  if (!e.is_object()) return "no expectations header";
  std::string what = text(e, "file");
  if (what.empty()) what = std::to_string(items(e, "files").size()) + " scenario file(s)";
  return what + " sha256 " + text(e, "sha256").substr(0, 16) + "…";
}

std::string shard_name(const json& header) {
  return std::to_string(static_cast<long long>(number(header, "index", 0))) + "/" +
         std::to_string(static_cast<long long>(number(header, "total", 0)));
}

// The plan in a shard header, checked against its own digest.
Result<std::vector<std::string>> plan_of(const NamedDocument& d) {
  const json& plan = field(field(d.doc, "shard"), "plan");
  std::vector<std::string> cells;
  const json& list = field(plan, "cells");
  if (!list.is_array()) return Error{d.file + ": shard header without its plan (shard.plan.cells)"};
  for (const auto& c : list) {
    if (!c.is_string()) return Error{d.file + ": shard.plan.cells: expected strings"};
    cells.push_back(c.get<std::string>());
  }
  if (plan_digest(cells) != text(plan, "sha256"))
    return Error{d.file + ": shard.plan.sha256 does not match shard.plan.cells (the header was edited)"};
  return cells;
}

Error versions_differ(const NamedDocument& d, std::string_view version) {
  return Error{d.file + ": written by sigtrust " + text(d.doc, "version") + " (its first cell: " + first_cell(d.doc) +
               "), this is sigtrust " + std::string(version) +
               "; merge documents written by the version that merges them"};
}

struct Split {
  std::string command;
  unsigned total = 0;
  std::vector<std::string> plan;
  std::vector<unsigned> index;  // per document
};

// Every document a shard of the same split, or none of them one.
Result<Split> check_split(const std::vector<NamedDocument>& docs) {
  Split split;
  const NamedDocument* with = nullptr;
  const NamedDocument* without = nullptr;
  for (const auto& d : docs) (field(d.doc, "shard").is_object() ? with : without) = &d;
  if (!with) return split;
  if (without)
    return Error{without->file + ": no shard header, but " + with->file + " is shard " +
                 shard_name(field(with->doc, "shard")) + " (its first cell: " + first_cell(with->doc) +
                 "); merge the shards of one split, or documents of unsharded runs"};
  const NamedDocument& first = docs.front();
  const json& h0 = field(first.doc, "shard");
  auto plan = plan_of(first);
  if (!plan) return plan.error();
  split.plan = *plan;
  split.command = text(h0, "command");
  const double total = number(h0, "total", 0);
  if (total < 1 || total > kMaxShards)
    return Error{first.file + ": shard.total: expected 1 to " + std::to_string(kMaxShards)};
  split.total = static_cast<unsigned>(total);
  for (const auto& d : docs) {
    const json& h = field(d.doc, "shard");
    if (&d != &first) {
      auto p = plan_of(d);
      if (!p) return p.error();
      if (text(h, "command") != split.command || number(h, "total", 0) != total ||
          text(field(h, "plan"), "sha256") != text(field(h0, "plan"), "sha256"))
        return Error{d.file + ": shard " + shard_name(h) + " of '" + text(h, "command") + "' over " +
                     std::to_string(p->size()) + " cells (its first cell: " + first_cell(d.doc) +
                     ") is not of the split of " + first.file + " (shard " + shard_name(h0) + " of '" + split.command +
                     "' over " + std::to_string(split.plan.size()) +
                     " cells); every shard must be given the same cells and the same N"};
    }
    const double index = number(h, "index", 0);
    if (index < 1 || index > total)
      return Error{d.file + ": shard.index " + text(h, "index") + " is not between 1 and " +
                   std::to_string(split.total)};
    split.index.push_back(static_cast<unsigned>(index));
  }
  return split;
}

}  // namespace

nlohmann::json shard_header(const Shard& shard, std::string_view command, const std::vector<std::string>& plan) {
  return {{"index", shard.index},
          {"total", shard.total},
          {"command", std::string(command)},
          {"plan", {{"cells", plan}, {"sha256", plan_digest(plan)}}}};
}

std::string cell_of(const json& run) {
  std::string cell = text(run, "cell");
  if (!cell.empty()) return cell;
  if (run.is_object() && run.contains("offerer")) return interop_cell_id(run);  // an interop cell
  return text(run, "file") + "#" + text(run, "scenario");
}

json summary_of(const json& runs) {
  std::size_t sessions = 0, failed = 0, errors = 0, interrupted = 0;
  for (const auto& run : runs) {
    if (!text(run, "error").empty()) ++errors;
    if (flag(run, "interrupted")) ++interrupted;
    for (const auto& s : items(run, "sessions")) {
      ++sessions;
      if (!flag(s, "pass")) ++failed;
    }
  }
  return {{"runs", runs.size()},
          {"sessions", sessions},
          {"expectations_failed", failed},
          {"errors", errors},
          {"interrupted", interrupted}};
}

namespace {

// Every document written by this sigtrust and checked against the same expectations.
std::optional<Error> check_same_origin(const std::vector<NamedDocument>& docs, std::string_view version) {
  for (const auto& d : docs) {
    if (text(d.doc, "tool") != "sigtrust")
      return Error{d.file + ": not written by sigtrust (\"tool\" is not \"sigtrust\")"};
    if (text(d.doc, "version") != version) return versions_differ(d, version);
  }
  for (const auto& d : docs)
    if (is_interop(d.doc) != is_interop(docs.front().doc))
      return Error{d.file + ": " + kind_of(d.doc) + " (its first cell: " + first_cell(d.doc) + "), but " +
                   docs.front().file + " is " + kind_of(docs.front().doc) +
                   " (its first cell: " + first_cell(docs.front().doc) + "); merge documents of one command"};
  const json& expectations = field(docs.front().doc, "expectations");
  for (const auto& d : docs) {
    const json& e = field(d.doc, "expectations");
    if (text(e, "sha256") != text(expectations, "sha256") || e.is_object() != expectations.is_object())
      return Error{d.file + ": checked against " + describe_expectations(e) + " (its first cell: " + first_cell(d.doc) +
                   "), " + docs.front().file + " against " + describe_expectations(expectations) +
                   "; merge documents checked against the same expectations"};
  }
  return std::nullopt;
}

// Whether a shard's document may lack a cell of its plan because it says
// why: an interop shard runs no cell of a stack missing on its machine (its
// stacks say present: false, and it exited 2), and none after it was
// interrupted (it exited 128 + the signal); the merge exits as it did.
bool excused(const std::string& cell, const json& doc) {
  if (!is_interop(doc)) return false;
  if (field(doc, "interrupted_by").is_number()) return true;
  const auto first = cell.find('/'), second = cell.find('/', first == std::string::npos ? first : first + 1);
  if (second == std::string::npos) return false;
  const auto missing = texts(interop_summary(doc), "missing_stacks");
  for (const auto& stack : {cell.substr(0, first), cell.substr(first + 1, second - first - 1)})
    if (std::find(missing.begin(), missing.end(), stack) != missing.end()) return true;
  return false;
}

// Every shard of the split given once, and every cell of its plan in its shard's document.
std::optional<Error> check_complete_split(const std::vector<NamedDocument>& docs, const Split& split,
                                          const std::map<std::string, const NamedDocument*>& seen) {
  std::map<unsigned, const NamedDocument*> shards;
  for (std::size_t di = 0; di < docs.size(); ++di)
    if (auto [it, fresh] = shards.emplace(split.index[di], &docs[di]); !fresh)
      return Error{docs[di].file + ": shard " + std::to_string(split.index[di]) + "/" + std::to_string(split.total) +
                   " given twice (also " + it->second->file + ")"};
  for (unsigned k = 1; k <= split.total; ++k) {
    if (shards.count(k)) continue;
    std::vector<std::string> cells;
    for (const auto& c : split.plan)
      if (shard_of(c, split.total) == k) cells.push_back(c);
    return Error{"missing shard " + std::to_string(k) + "/" + std::to_string(split.total) +
                 ": none of the documents given is that shard" +
                 (cells.empty() ? std::string(" (it has no cells)") : " (its cells: " + some_cells(cells) + ")")};
  }
  for (const auto& c : split.plan)
    if (!seen.count(c)) {
      const unsigned k = shard_of(c, split.total);
      if (excused(c, shards.at(k)->doc)) continue;
      return Error{shards.at(k)->file + ": cell " + c + " of shard " + std::to_string(k) + "/" +
                   std::to_string(split.total) + " is missing from it"};
    }
  return std::nullopt;
}

// The stacks of interop documents, by name, in order of first appearance: a
// stack missing on one shard's machine is missing in the merge; a stack
// present at two versions is refused (the cells were not all measured
// against the same stack).
Result<json> merged_stacks(const std::vector<NamedDocument>& docs) {
  json out = json::array();
  std::map<std::string, std::pair<std::size_t, const NamedDocument*>> seen;  // name -> (position in out, document)
  for (const auto& d : docs)
    for (const auto& s : items(d.doc, "stacks")) {
      const std::string name = text(s, "name");
      auto it = seen.find(name);
      if (it == seen.end()) {
        seen.emplace(name, std::make_pair(out.size(), &d));
        out.push_back(s);
        continue;
      }
      json& m = out[it->second.first];
      if (flag(s, "present") && flag(m, "present") && text(s, "version") != text(m, "version"))
        return Error{d.file + ": stack " + name + " is '" + text(s, "version") +
                     "' there (its first cell: " + first_cell(d.doc) + "), '" + text(m, "version") + "' in " +
                     it->second.second->file + "; merge shards run against the same stack versions"};
      if (!flag(s, "present")) m = s;
    }
  return out;
}

// The merged document: the runs (or interop cells) in order, where they came
// from, the summary.
json merged_document(const std::vector<NamedDocument>& docs, std::string_view version, const Split& split,
                     const std::vector<const json*>& runs, const json& stacks) {
  const bool sharded = split.total > 0, interop = is_interop(docs.front().doc);
  const json& expectations = field(docs.front().doc, "expectations");
  json merged{{"tool", "sigtrust"}, {"version", std::string(version)}};
  if (expectations.is_object()) merged["expectations"] = expectations;
  if (interop) merged["command"] = "interop";
  else if (sharded) merged["command"] = split.command;
  json sources = json::array();
  for (std::size_t di = 0; di < docs.size(); ++di) {
    sources.push_back({{"file", docs[di].file},
                       {"shard", sharded ? json(split.index[di]) : json(nullptr)},
                       {interop ? "cells" : "runs", entries(docs[di].doc).size()}});
    if (const json& sig = field(docs[di].doc, "interrupted_by"); sig.is_number() && !merged.contains("interrupted_by"))
      merged["interrupted_by"] = sig;
  }
  merged["merged"] = {{"shards", sharded ? json(split.total) : json(nullptr)}, {"documents", sources}};
  json all = json::array();
  for (const json* r : runs) all.push_back(*r);
  if (interop) {
    merged["stacks"] = stacks;
    merged["cells"] = std::move(all);
    merged["summary"] = interop_summary(merged);
  } else {
    merged["summary"] = summary_of(all);
    merged["runs"] = std::move(all);
  }
  return merged;
}

}  // namespace

Result<json> merge_documents(const std::vector<NamedDocument>& docs, std::string_view version) {
  if (docs.empty()) return Error{"report merge: no result documents given"};
  if (auto bad = check_same_origin(docs, version)) return *bad;
  auto split = check_split(docs);
  if (!split) return split.error();
  const bool sharded = split->total > 0;
  std::map<std::string, std::size_t> plan_position;
  for (std::size_t i = 0; i < split->plan.size(); ++i) plan_position.emplace(split->plan[i], i);

  // Every cell once, and (for shards) in the shard its header claims.
  std::map<std::string, const NamedDocument*> seen;
  std::vector<const json*> runs;
  for (std::size_t di = 0; di < docs.size(); ++di) {
    const auto& d = docs[di];
    for (const auto& run : entries(d.doc)) {
      const std::string cell = cell_of(run);
      if (auto [it, fresh] = seen.emplace(cell, &d); !fresh)
        return Error{d.file + ": duplicate cell " + cell +
                     (it->second == &d             ? " (twice in this file)"
                      : it->second->file == d.file ? " (the file is given twice)"
                                                   : " (also in " + it->second->file + ")")};
      if (sharded) {
        if (!plan_position.count(cell))
          return Error{d.file + ": cell " + cell + " is not in the plan of its shard header"};
        if (const unsigned k = shard_of(cell, split->total); k != split->index[di])
          return Error{d.file + ": cell " + cell + " belongs to shard " + std::to_string(k) + "/" +
                       std::to_string(split->total) + ", but the document says it is shard " +
                       std::to_string(split->index[di]) + "/" + std::to_string(split->total)};
      }
      runs.push_back(&run);
    }
  }
  if (sharded) {
    if (auto bad = check_complete_split(docs, *split, seen)) return *bad;
    std::sort(runs.begin(), runs.end(), [&](const json* a, const json* b) {
      return plan_position.at(cell_of(*a)) < plan_position.at(cell_of(*b));
    });
  }
  auto stacks = merged_stacks(docs);
  if (!stacks) return stacks.error();
  return merged_document(docs, version, *split, runs, *stacks);
}

}  // namespace sigtrust::reports
