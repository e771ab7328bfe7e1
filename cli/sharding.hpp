// `--shard K/N|auto` for the commands whose work is a list of cells (`run`
// over its files, `matrix` over attack × trust, `interop` over offerer ×
// answerer × attack): which cells this process runs, and the headers
// `report merge` checks (`interop`, whose document has cells instead of
// runs, writes the same headers itself).
// The split itself is core/shard.hpp's.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/shard.hpp"

namespace sigtrust::cli {

// The value of --shard: empty (not sharded), "auto" (from the CI system's
// environment) or K/N. Throws UsageError (exit 2) saying what is wrong.
std::optional<Shard> shard_option(const std::string& value);

// The positions in `plan` (every cell identity, canonical order) that this
// process runs: all of them, or those of `shard`.
std::vector<std::size_t> cells_to_run(const std::vector<std::string>& plan, const std::optional<Shard>& shard);

// Adds to a result document whose runs are the cells `ran` of `plan` (in that
// order) each run's "cell", the "expectations" header and, when sharded, the
// "shard" header.
void add_headers(nlohmann::json& doc, const std::vector<std::string>& plan, const std::vector<std::size_t>& ran,
                 const std::optional<Shard>& shard, std::string_view command, nlohmann::json expectations);

// `run`'s cells are its files, named by their paths as given (lexically
// normalised: "./a/../b.yaml" is "b.yaml"); each file carries its own
// expectations, so the expectations header is every file's digest. Throws
// UsageError when a file cannot be read or, with `distinct` (a split needs
// distinct cells), is given twice.
struct FilePlan {
  std::vector<std::string> cells;
  nlohmann::json expectations;
};
FilePlan file_plan(const std::vector<std::string>& files, bool distinct);

// When a run was interrupted, the document says by which signal, so a merge
// exits as the interrupted run did (128 + the signal).
void add_interruption(nlohmann::json& doc, int signal);

}  // namespace sigtrust::cli
