// Fuzzes the scenario loader (sim/scenario) with the real vocabulary, the attacks and trust
// configurations `sigtrust run` accepts. Properties: load_string never crashes and never lets an
// exception out; a rejection is located, "<file>:<line>:<column>: <what>" with line and column
// from 1 and the line within the text; an accepted scenario respects the documented bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "attacks/registry.hpp"
#include "fuzz/fuzz_check.hpp"
#include "sim/scenario.hpp"

using sigtrust::fuzz::check;
namespace scenario = sigtrust::scenario;

namespace {

const std::string kFile = "fuzz.yaml";

// Reads a positive decimal number at `pos`, advancing it; 0 if there is none.
long long number_at(std::string_view s, std::size_t& pos) {
  long long v = 0;
  const std::size_t start = pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - start < 12) v = v * 10 + (s[pos++] - '0');
  return pos == start ? 0 : v;
}

void check_located(std::string_view message, std::string_view text) {
  check(message.substr(0, kFile.size() + 1) == kFile + ":", "error starts with '<file>:'", message);
  std::size_t pos = kFile.size() + 1;
  const long long line = number_at(message, pos);
  check(line >= 1 && pos < message.size() && message[pos] == ':', "error has '<line>:' from 1", message);
  ++pos;
  const long long column = number_at(message, pos);
  check(column >= 1 && message.substr(pos, 2) == ": ", "error has '<column>: ' from 1", message);
  check(message.size() > pos + 2, "error says what was expected", message);

  // One more line than the text has newlines: yaml-cpp may point just past the last one.
  long long lines = 1;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  check(line <= lines + 1, "error line is within the text", message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sigtrust::Vocabulary vocab = sigtrust::attacks::vocabulary();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = scenario::load_string(text, kFile, vocab);
  if (!r) {
    check_located(r.error().message, text);
    return 0;
  }
  check(r->file == kFile, "scenario keeps its file name");
  check(r->peers.size() >= 2 && r->peers.size() <= 64, "2..64 peers");
  check(!r->sessions.empty() && r->sessions.size() <= 32, "1..32 sessions");
  check(r->deadline_ms >= 1 && r->deadline_ms <= 600000, "deadline_ms in 1..600000");
  for (const auto& s : r->sessions) check(s.offerer != s.answerer, "offerer != answerer");
  return 0;
}
