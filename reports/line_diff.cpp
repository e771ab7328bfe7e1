#include "reports/line_diff.hpp"

#include <algorithm>
#include <cstdint>

namespace sigtrust::reports {

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<DiffLine> line_diff(std::string_view before, std::string_view after) {
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  std::vector<DiffLine> out;
  if (a.size() > kMaxDiffLines || b.size() > kMaxDiffLines) {
    for (const auto& l : a) out.push_back({DiffLine::Kind::Removed, l});
    for (const auto& l : b) out.push_back({DiffLine::Kind::Added, l});
    return out;
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..].
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      at(i, j) = a[i] == b[j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out.push_back({DiffLine::Kind::Same, a[i]});
      ++i, ++j;
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      out.push_back({DiffLine::Kind::Removed, a[i++]});
    } else {
      out.push_back({DiffLine::Kind::Added, b[j++]});
    }
  }
  return out;
}

std::string unified(const std::vector<DiffLine>& diff) {
  std::string out;
  for (const auto& d : diff) {
    out += d.kind == DiffLine::Kind::Same ? ' ' : d.kind == DiffLine::Kind::Removed ? '-' : '+';
    out += d.text;
    out += '\n';
  }
  return out;
}

}  // namespace sigtrust::reports
