#include "cli/sharding.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>

#include "cli/matrix_command.hpp"
#include "reports/merge.hpp"
#include "core/digest.hpp"

namespace sigtrust::cli {

std::optional<Shard> shard_option(const std::string& value) {
  if (value.empty()) return std::nullopt;
  auto shard =
      value == "auto" ? shard_from_environment([](const char* name) { return std::getenv(name); }) : parse_shard(value);
  if (!shard) throw UsageError(shard.error().message);
  return *shard;
}

std::vector<std::size_t> cells_to_run(const std::vector<std::string>& plan, const std::optional<Shard>& shard) {
  if (shard) return select_shard(plan, *shard);
  std::vector<std::size_t> all(plan.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

void add_headers(nlohmann::json& doc, const std::vector<std::string>& plan, const std::vector<std::size_t>& ran,
                 const std::optional<Shard>& shard, std::string_view command, nlohmann::json expectations) {
  auto& runs = doc["runs"];
  for (std::size_t i = 0; i < runs.size() && i < ran.size(); ++i) runs[i]["cell"] = plan[ran[i]];
  doc["expectations"] = std::move(expectations);
  if (shard) doc["shard"] = reports::shard_header(*shard, command, plan);
}

FilePlan file_plan(const std::vector<std::string>& files, bool distinct) {
  FilePlan plan;
  // cell -> digest, sorted by cell: the header does not depend on the order
  // the files were given in (a glob sorts by the locale's collation).
  std::map<std::string, std::string> digests;
  for (const auto& f : files) {
    std::string cell = std::filesystem::path(f).lexically_normal().generic_string();
    if (digests.count(cell) && distinct) throw UsageError(f + ": given twice; every file is one cell of the split");
    const auto digest = sha256_of_file(f);
    if (!digest) throw UsageError(digest.error().message);
    digests[cell] = *digest;
    plan.cells.push_back(std::move(cell));
  }
  std::string listing;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [cell, digest] : digests) {
    listing += digest + "  " + cell + "\n";
    list.push_back({{"file", cell}, {"sha256", digest}});
  }
  plan.expectations = {{"files", std::move(list)}, {"sha256", sha256_hex(listing)}};
  return plan;
}

void add_interruption(nlohmann::json& doc, int signal) { doc["interrupted_by"] = signal; }

}  // namespace sigtrust::cli
