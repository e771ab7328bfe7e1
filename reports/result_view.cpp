#include "reports/result_view.hpp"

#include "core/outcome.hpp"
#include "reports/interop_view.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sigtrust::reports {
namespace {

const json& null_json() {
  static const json n;
  return n;
}

const json& empty_array() {
  static const json a = json::array();
  return a;
}

std::string check_array_of_objects(const json& parent, const char* key, const std::string& path, bool required) {
  if (!parent.contains(key)) return required ? path + "." + key + ": missing" : "";
  const json& a = parent.at(key);
  if (!a.is_array()) return path + "." + key + ": expected an array";
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!a[i].is_object()) return path + "." + key + "[" + std::to_string(i) + "]: expected an object";
  return "";
}

}  // namespace

std::string check_document(const json& doc) {
  if (!doc.is_object()) return "expected a JSON object at the top";
  if (is_interop(doc)) return check_interop_document(doc);
  if (auto e = check_array_of_objects(doc, "runs", "$", true); !e.empty()) return e;
  const json& runs = doc.at("runs");
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::string rp = "$.runs[" + std::to_string(r) + "]";
    if (auto e = check_array_of_objects(runs[r], "sessions", rp, true); !e.empty()) return e;
    if (auto e = check_array_of_objects(runs[r], "timeline", rp, false); !e.empty()) return e;
    const json& sessions = runs[r].at("sessions");
    for (std::size_t s = 0; s < sessions.size(); ++s) {
      const std::string sp = rp + ".sessions[" + std::to_string(s) + "]";
      if (!sessions[s].contains("outcome") || !sessions[s].at("outcome").is_string())
        return sp + ".outcome: expected a string";
      if (sessions[s].contains("peers")) {
        const json& peers = sessions[s].at("peers");
        if (!peers.is_object()) return sp + ".peers: expected an object";
        for (const auto& [name, p] : peers.items())
          if (!p.is_object()) return sp + ".peers." + name + ": expected an object";
      }
    }
  }
  return "";
}

Result<json> load_document(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read: " + std::strerror(errno)};
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string content = buf.str();
  json doc;
  try {
    doc = json::parse(content);
  } catch (const json::parse_error& e) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < content.size(); ++i) {
      if (content[i] == '\n') ++line, column = 1;
      else ++column;
    }
    std::string detail = e.what();
    if (auto p = detail.find(": "); p != std::string::npos) detail = detail.substr(p + 2);
    return Error{path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": not valid JSON: " + detail};
  }
  if (auto problem = check_document(doc); !problem.empty())
    return Error{path + ": not a sigtrust result document: " + problem};
  return doc;
}

const json& field(const json& j, std::string_view key) {
  if (!j.is_object()) return null_json();
  auto it = j.find(key);
  return it == j.end() ? null_json() : *it;
}

const json& items(const json& j, std::string_view key) {
  const json& v = field(j, key);
  return v.is_array() ? v : empty_array();
}

std::string text(const json& j, std::string_view key) {
  const json& v = field(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return "";
}

std::vector<std::string> texts(const json& j, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& v : items(j, key))
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

double number(const json& j, std::string_view key, double fallback) {
  const json& v = field(j, key);
  return v.is_number() ? v.get<double>() : fallback;
}

bool flag(const json& j, std::string_view key) {
  const json& v = field(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::string format_ms(const json& value) {
  if (!value.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", value.get<double>());
  return buf;
}

bool is_cut(const json& session) { return !text(session, "cut_by").empty(); }

bool is_provisional(const json& session) {
  const std::string cut = text(session, "cut_by");
  if (cut.empty()) return false;
  const auto outcome = outcome_from_string(text(session, "outcome"));
  return !outcome || !is_final(*outcome, cut == "deadline" ? CutBy::Deadline : CutBy::Interrupted);
}

std::string cut_note(const json& run, const json& session) {
  const std::string cut = text(session, "cut_by");
  if (cut.empty()) return "";
  std::string out = cut == "deadline" ? "cut by the deadline" : "interrupted";
  if (cut == "deadline") {
    const double ms = number(run, "deadline_ms", 0);
    if (ms > 0) out += " (" + std::to_string(static_cast<long long>(ms)) + " ms)";
  }
  out += " before it settled";
  if (const auto w = text(session, "waiting_for"); !w.empty()) out += ": " + w;
  if (is_provisional(session)) out += "; the outcome is provisional, not a finding";
  return out;
}

std::vector<std::string> session_peers(const json& session) {
  return {text(session, "offerer"), text(session, "answerer")};
}

std::string Rewrite::what() const {
  if (text.find(" offer") != std::string::npos) return "offer";
  if (text.find(" answer") != std::string::npos) return "answer";
  return "message";
}

std::vector<Rewrite> rewrites(const json& run) {
  std::vector<Rewrite> out;
  for (const auto& e : items(run, "timeline")) {
    if (text(e, "kind") != "attack.rewrite") continue;
    const json& d = field(e, "data");
    if (!field(d, "before").is_string() || !field(d, "after").is_string()) continue;
    out.push_back({number(e, "t_ms", 0), text(e, "actor"), text(d, "from"), text(d, "to"), text(e, "text"),
                   text(d, "before"), text(d, "after")});
  }
  return out;
}

std::vector<std::string> sdp_fingerprints(std::string_view sdp) {
  std::vector<std::string> out;
  constexpr std::string_view kPrefix = "a=fingerprint:";
  std::size_t start = 0;
  while (start < sdp.size()) {
    std::size_t end = sdp.find('\n', start);
    if (end == std::string_view::npos) end = sdp.size();
    std::string_view line = sdp.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, kPrefix.size()) == kPrefix) out.emplace_back(line.substr(kPrefix.size()));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> sent_fingerprints(const json& run, const std::string& peer) {
  std::vector<std::string> out;
  for (const auto& e : items(run, "timeline")) {
    const std::string kind = text(e, "kind");
    if (text(e, "actor") != peer || (kind != "signaling.offer-sent" && kind != "signaling.answer-sent")) continue;
    for (auto& f : sdp_fingerprints(text(field(e, "data"), "sdp")))
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
  }
  return out;
}

const std::vector<MatrixCell>* Matrix::cell(const std::string& attack, const std::string& trust) const {
  auto it = cells.find({attack, trust});
  return it == cells.end() ? nullptr : &it->second;
}

Matrix matrix_of(const json& doc) {
  Matrix m;
  auto remember = [](std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  for (const auto& run : items(doc, "runs")) {
    const std::string attack = text(run, "attack"), trust = text(run, "trust");
    remember(m.attacks, attack);
    remember(m.trusts, trust);
    // A run is one entry: its last session's outcome (in a matrix scenario the
    // earlier sessions set the stage, e.g. a first contact for tofu, and the
    // last is the attacked one); it passes when every session met its
    // expectation.
    const json& sessions = items(run, "sessions");
    // A matrix cell's scenario is "attack/cell": in the attack's row the cell
    // ("sas(bits=8)", a variant of the column) is the name that tells runs apart.
    std::string label = text(run, "scenario");
    if (label.size() > attack.size() + 1 && label.compare(0, attack.size() + 1, attack + "/") == 0)
      label.erase(0, attack.size() + 1);
    MatrixCell c{"error", "", label, false};
    if (!sessions.empty()) {
      c.outcome = text(sessions.back(), "outcome");
      c.expected = text(sessions.back(), "expected");
      c.pass = std::all_of(sessions.begin(), sessions.end(), [](const json& s) { return flag(s, "pass"); });
      for (const auto& s : sessions)
        if (is_cut(s)) c.cut = text(s, "cut_by");
    }
    m.cells[{attack, trust}].push_back(std::move(c));
  }
  return m;
}

std::string grind_note(const json& attacker) {
  const json& tries = field(attacker, "grind_tries");
  if (!tries.is_number_integer() || tries.get<std::int64_t>() <= 0) return "";
  const auto n = tries.get<std::int64_t>();
  const std::string shares = std::to_string(n) + (n == 1 ? " key share" : " key shares");
  return flag(attacker, "grind_matched")
             ? "the attacker tried " + shares + " for a matching SAS; the last gives both users the same string"
             : "the attacker tried " + shares + " for a matching SAS and found none; the users' strings differ";
}

std::string media_note(const json& attacker) {
  std::string streams;
  std::size_t count = 0, files = 0;
  for (const auto& m : items(attacker, "media")) {
    const json& packets = field(m, "packets");
    if (!packets.is_number_integer() || packets.get<std::int64_t>() <= 0) continue;
    ++count;
    files += texts(m, "files").size();
    const std::string kind = text(m, "kind").empty() ? "RTP" : text(m, "kind");
    const std::string codec = text(m, "codec").empty() ? "" : text(m, "codec") + ", ";
    streams += (streams.empty() ? "" : ", ") + kind + " from " + text(m, "from") + " (" + codec +
               std::to_string(packets.get<std::int64_t>()) + " packets)";
  }
  if (count == 0) return "";
  return "the attacker decrypted " + std::to_string(count) + " media stream(s): " + streams +
         (files > 0 ? "; recorded " + std::to_string(files) + " file(s)" : "");
}

bool has_matrix(const Matrix& m) { return m.attacks.size() > 1 || m.trusts.size() > 1; }

std::vector<MatrixCell> cell_entries(const std::vector<MatrixCell>& cell) {
  bool uniform = true;
  for (const auto& c : cell)
    uniform = uniform && c.outcome == cell.front().outcome && c.pass == cell.front().pass &&
              c.expected == cell.front().expected && c.cut == cell.front().cut;
  if (uniform && !cell.empty()) {
    MatrixCell one = cell.front();
    if (cell.size() > 1) one.scenario.clear();
    return {one};
  }
  std::vector<MatrixCell> out;
  for (const auto& c : cell) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const MatrixCell& o) {
      return o.outcome == c.outcome && o.pass == c.pass && o.expected == c.expected && o.scenario == c.scenario;
    });
    if (!seen) out.push_back(c);
  }
  return out;
}

std::string cell_summary(const std::vector<MatrixCell>& cell) {
  const auto entries = cell_entries(cell);
  std::string out;
  for (const auto& c : entries) {
    std::string p = c.outcome;
    if (entries.size() > 1) p += " (" + c.scenario + ")";
    if (!c.cut.empty()) p += " [" + c.cut + "]";
    if (!c.pass) p += " \xE2\x89\xA0 expected " + c.expected;
    out += (out.empty() ? "" : ", ") + p;
  }
  return out;
}

Totals totals(const json& doc) {
  if (is_interop(doc)) return totals(runs_view(doc));
  Totals t;
  for (const auto& run : items(doc, "runs")) {
    ++t.runs;
    if (!text(run, "error").empty()) ++t.errors;
    for (const auto& s : items(run, "sessions")) {
      ++t.sessions;
      if (!flag(s, "pass")) ++t.failed;
    }
  }
  return t;
}

}  // namespace sigtrust::reports
