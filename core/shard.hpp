// Splitting a command's cells across CI jobs (`--shard K/N`): the one piece
// that `run` (over its files), `matrix` and `interop` (over its pairs of real
// stacks × attacks) share.
//
// A cell is named by a stable identity string (a matrix cell by
// "attack/trust", a scenario file by its path as given, an interop cell by
// "offerer/answerer/attack"). Its shard is a
// function of that identity and N alone: FNV-1a (64 bit) of the identity,
// then jump consistent hashing (Lamping & Veach, "A Fast, Minimal Memory,
// Consistent Hash Algorithm", 2014) into N buckets. So
//   - shards are disjoint and together cover every cell;
//   - a cell stays in its shard when other cells are added, removed or
//     filtered out (a new attack moves no existing cell; a flaky cell keeps
//     its shard from one pipeline to the next);
//   - going from N to N+1 shards moves only about 1/(N+1) of the cells.
// The price is balance: shard sizes vary by about sqrt(cells/N) around
// cells/N, where a round-robin over a canonical order would balance exactly
// but move most cells whenever one is added. docs/ci.md says more.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace sigtrust {

// Shard `index` of `total`, 1-based like `--shard K/N` (1 <= index <= total).
struct Shard {
  unsigned index = 1;
  unsigned total = 1;
};

// At most this many shards (a bound against typos such as 1/30000000).
inline constexpr unsigned kMaxShards = 10000;

// "K/N" with 1 <= K <= N <= kMaxShards, decimal digits only.
Result<Shard> parse_shard(std::string_view text);

// `--shard auto`: K and N from the CI system's environment.
//   GitLab CI `parallel:`        CI_NODE_INDEX (1-based) and CI_NODE_TOTAL
//   Kubernetes Indexed Job       JOB_COMPLETION_INDEX (0-based) and SIGTRUST_SHARDS
// An error when neither pair is set, when only half of a pair is, when both
// systems' variables are set, or when a value is not a valid shard.
using EnvLookup = std::function<const char*(const char*)>;
Result<Shard> shard_from_environment(const EnvLookup& getenv);

// FNV-1a (64 bit) of `s`: a cell's place in the hash (also how `interop`
// scatters the order it runs its cells in).
std::uint64_t fnv1a64(std::string_view s);

// The 1-based shard of the cell named `identity` among `total` shards.
unsigned shard_of(std::string_view identity, unsigned total);

// The positions in `identities` (in their order) that belong to `shard`.
std::vector<std::size_t> select_shard(const std::vector<std::string>& identities, const Shard& shard);

// The digest of a plan: the set of its cell identities (sorted first, so that
// shards given the same files in another order, e.g. a glob expanded under
// another locale, still agree). Shards of one split carry the same plan
// digest; `report merge` compares them.
std::string plan_digest(const std::vector<std::string>& identities);

}  // namespace sigtrust
