#include "core/shard.hpp"

#include <algorithm>
#include <charconv>

#include "core/digest.hpp"

namespace sigtrust {
namespace {

// A decimal number of at most 9 digits (no sign, no spaces).
bool parse_count(std::string_view s, unsigned& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Jump consistent hash (Lamping & Veach 2014): a bucket in [0, buckets).
// Each step draws the next bucket the key would jump to from a 64-bit LCG;
// the last jump below `buckets` is the answer.
unsigned jump_bucket(std::uint64_t key, unsigned buckets) {
  std::int64_t b = -1, j = 0;
  while (j < static_cast<std::int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<unsigned>(b);
}

std::string text_of(const char* v) { return v ? v : ""; }

Result<Shard> checked(unsigned index, unsigned total, const std::string& where) {
  if (total == 0) return Error{where + ": the number of shards must be at least 1"};
  if (total > kMaxShards) return Error{where + ": at most " + std::to_string(kMaxShards) + " shards"};
  if (index < 1 || index > total)
    return Error{where + ": shard " + std::to_string(index) + " is not between 1 and " + std::to_string(total)};
  return Shard{index, total};
}

}  // namespace

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV offset basis
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV prime
  }
  return h;
}

Result<Shard> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  unsigned k = 0, n = 0;
  if (slash == std::string_view::npos || !parse_count(text.substr(0, slash), k) ||
      !parse_count(text.substr(slash + 1), n))
    return Error{"--shard '" + std::string(text) + "': expected K/N (shard K of N, counted from 1, e.g. 2/3) or auto"};
  return checked(k, n, "--shard " + std::string(text));
}

Result<Shard> shard_from_environment(const EnvLookup& getenv) {
  const char* gl_index = getenv("CI_NODE_INDEX");
  const char* gl_total = getenv("CI_NODE_TOTAL");
  const char* k8s_index = getenv("JOB_COMPLETION_INDEX");
  const char* k8s_total = getenv("SIGTRUST_SHARDS");
  const bool gitlab = gl_index || gl_total, k8s = k8s_index || k8s_total;
  if (gitlab && k8s)
    return Error{
        "--shard auto: both GitLab's CI_NODE_INDEX/CI_NODE_TOTAL and Kubernetes' "
        "JOB_COMPLETION_INDEX/SIGTRUST_SHARDS are set; give --shard K/N instead"};
  if (gitlab) {
    if (!gl_index || !gl_total)
      return Error{std::string("--shard auto: ") + (gl_index ? "CI_NODE_TOTAL" : "CI_NODE_INDEX") +
                   " is not set (GitLab sets both in a job with parallel:)"};
    unsigned k = 0, n = 0;
    if (!parse_count(gl_index, k) || !parse_count(gl_total, n))
      return Error{"--shard auto: CI_NODE_INDEX='" + text_of(gl_index) + "', CI_NODE_TOTAL='" + text_of(gl_total) +
                   "': expected numbers"};
    // GitLab counts its parallel jobs from 1, as --shard does.
    return checked(
        k, n, "--shard auto (GitLab CI_NODE_INDEX=" + text_of(gl_index) + ", CI_NODE_TOTAL=" + text_of(gl_total) + ")");
  }
  if (k8s) {
    if (!k8s_total)
      return Error{
          "--shard auto: JOB_COMPLETION_INDEX is set but SIGTRUST_SHARDS is not; set it to the "
          "Indexed Job's completions"};
    if (!k8s_index)
      return Error{
          "--shard auto: SIGTRUST_SHARDS is set but JOB_COMPLETION_INDEX is not (Kubernetes sets it "
          "in a Job with completionMode: Indexed)"};
    unsigned i = 0, n = 0;
    if (!parse_count(k8s_index, i) || !parse_count(k8s_total, n))
      return Error{"--shard auto: JOB_COMPLETION_INDEX='" + text_of(k8s_index) + "', SIGTRUST_SHARDS='" +
                   text_of(k8s_total) + "': expected numbers"};
    // Kubernetes counts completion indexes from 0.
    return checked(i + 1, n,
                   "--shard auto (Kubernetes JOB_COMPLETION_INDEX=" + text_of(k8s_index) +
                       ", SIGTRUST_SHARDS=" + text_of(k8s_total) + ")");
  }
  return Error{
      "--shard auto: no shard in the environment; expected CI_NODE_INDEX and CI_NODE_TOTAL "
      "(GitLab CI parallel:) or JOB_COMPLETION_INDEX and SIGTRUST_SHARDS (Kubernetes Indexed Job); "
      "elsewhere give --shard K/N"};
}

unsigned shard_of(std::string_view identity, unsigned total) {
  return total <= 1 ? 1 : jump_bucket(fnv1a64(identity), total) + 1;
}

std::vector<std::size_t> select_shard(const std::vector<std::string>& identities, const Shard& shard) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < identities.size(); ++i)
    if (shard_of(identities[i], shard.total) == shard.index) out.push_back(i);
  return out;
}

std::string plan_digest(const std::vector<std::string>& identities) {
  auto sorted = identities;
  std::sort(sorted.begin(), sorted.end());
  std::string all;
  for (const auto& id : sorted) {
    all += id;
    all += '\n';
  }
  return sha256_hex(all);
}

}  // namespace sigtrust
