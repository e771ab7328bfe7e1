#include "reports/matrix_table.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

namespace sigtrust::reports {
namespace {

struct Cell {
  std::string outcome;
  bool pass = true;
};

const char* colour_of(const std::string& o) {
  if (o == "secure") return "\033[32m";
  if (o == "detected") return "\033[36m";
  if (o == "mitm-undetected") return "\033[1;31m";
  if (o == "mitm-detected-late") return "\033[31m";
  if (o == "failed") return "\033[33m";
  return "\033[35m";
}

}  // namespace

std::string matrix_table(const nlohmann::json& doc, bool colour) {
  std::vector<std::string> attacks, trusts;
  std::map<std::pair<std::string, std::string>, Cell> cells;
  for (const auto& run : doc.value("runs", nlohmann::json::array())) {
    const std::string attack = run.value("attack", "?");
    const std::string trust = run.value("trust", "?");
    if (std::find(attacks.begin(), attacks.end(), attack) == attacks.end()) attacks.push_back(attack);
    if (std::find(trusts.begin(), trusts.end(), trust) == trusts.end()) trusts.push_back(trust);
    const auto& sessions = run.value("sessions", nlohmann::json::array());
    Cell c{"error", false};
    if (!sessions.empty()) {
      c.outcome = sessions.back().value("outcome", "error");
      c.pass = std::all_of(sessions.begin(), sessions.end(), [](const auto& s) { return s.value("pass", false); });
    }
    cells[{attack, trust}] = c;
  }
  size_t first = 6;
  for (const auto& a : attacks) first = std::max(first, a.size());
  std::vector<size_t> width;
  for (const auto& t : trusts) width.push_back(std::max<size_t>(t.size(), 18));
  std::ostringstream out;
  out << std::string(first, ' ');
  for (size_t i = 0; i < trusts.size(); ++i) out << "  " << trusts[i] << std::string(width[i] - trusts[i].size(), ' ');
  out << "\n";
  for (const auto& a : attacks) {
    out << a << std::string(first - a.size(), ' ');
    for (size_t i = 0; i < trusts.size(); ++i) {
      auto it = cells.find({a, trusts[i]});
      std::string text = it == cells.end() ? "-" : (it->second.pass ? "" : "!") + it->second.outcome;
      out << "  ";
      if (colour && it != cells.end()) out << colour_of(it->second.outcome) << text << "\033[0m";
      else out << text;
      out << std::string(width[i] - std::min(width[i], text.size()), ' ');
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace sigtrust::reports
