// Shards of one split, joined back into one result document
// (`sigtrust report merge`), and the headers that make that checkable.
//
// A sharded document carries, besides the runs (each with its "cell"):
//   "expectations": {"file": …, "sha256": …}   what the outcomes were checked against
//   "shard": {"index": K, "total": N, "command": "matrix",
//             "plan": {"cells": [every cell of the split, canonical order], "sha256": …}}
// merge_documents() refuses, naming the file and the cell, documents of
// another sigtrust version, checked against other expectations, split from
// another plan, a cell given twice, and a shard or a cell missing.
//
// `sigtrust interop` documents (reports/interop_view.hpp) are merged the same
// way, their cells in place of runs; mixing them with run/matrix documents is
// refused, and so is a stack present at another version in another shard. An
// interop shard may lack the cells of a stack missing on its machine, or all
// cells after it was interrupted: its document says so, and the merged one
// carries that (missing_stacks, interrupted_by) as one unsharded run would.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/shard.hpp"

namespace sigtrust::reports {

// The "shard" header of shard `shard` of a split of `plan` (every cell
// identity of the command, in its canonical order) made by `command`.
nlohmann::json shard_header(const Shard& shard, std::string_view command, const std::vector<std::string>& plan);

// A run's (or an interop cell's) cell identity: its "cell" field; documents
// written before runs carried one fall back to "FILE#SCENARIO" (an interop
// cell to "OFFERER/ANSWERER/ATTACK").
std::string cell_of(const nlohmann::json& run);

// The "summary" of a list of runs, counted from them.
nlohmann::json summary_of(const nlohmann::json& runs);

struct NamedDocument {
  std::string file;  // as named on the command line, for messages
  nlohmann::json doc;
};

// One document with every run of `docs`: in plan order when the documents
// are shards, else in the order given. `version` is the merging sigtrust's;
// every document must carry it. The result has "merged": {"documents": [...],
// "shards": N or null} in place of "shard", and no "created" (the caller's).
Result<nlohmann::json> merge_documents(const std::vector<NamedDocument>& docs, std::string_view version);

}  // namespace sigtrust::reports
