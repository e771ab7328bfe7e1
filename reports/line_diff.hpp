// A line diff (longest common subsequence), for showing what an attacker
// changed in an SDP. SDPs are a few dozen lines, so the O(n·m) table is fine;
// inputs past kMaxDiffLines a side fall back to "all removed, all added".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sigtrust::reports {

struct DiffLine {
  enum class Kind { Same, Removed, Added };
  Kind kind;
  std::string text;
};

inline constexpr std::size_t kMaxDiffLines = 2000;

// Splits on "\n", dropping a trailing "\r" from each line (SDP uses CRLF,
// RFC 8866 §5) and the empty piece after a final line break.
std::vector<std::string> split_lines(std::string_view text);

// The lines of `before` and `after` in order, each marked same/removed/added;
// removed lines come before the added lines that replace them.
std::vector<DiffLine> line_diff(std::string_view before, std::string_view after);

// Unified-style text: " same", "-removed", "+added", one per line.
std::string unified(const std::vector<DiffLine>& diff);

}  // namespace sigtrust::reports
