#include "sim/scenario.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <utility>

#include "core/c_ptr.hpp"
#include "core/outcome.hpp"

namespace sigtrust::scenario {
namespace {

constexpr std::size_t kMaxFileBytes = std::size_t{1} << 20;
constexpr int kMaxDepth = 16;
constexpr std::uint32_t kMaxDeadlineMs = 600000;
constexpr std::size_t kMinPeers = 2;
constexpr std::size_t kMaxPeers = 64;
constexpr std::size_t kMinSessions = 1;
constexpr std::size_t kMaxSessions = 32;
constexpr std::size_t kMaxTextBytes = 4096;
constexpr std::uint32_t kMaxScalePairs = 1000;
constexpr std::uint32_t kMaxScaleMessages = 16;
constexpr std::size_t kMaxSdpRules = 64;
constexpr std::size_t kMaxSdpRuleLength = 1024;
// Long enough to recognise a value in a message, short enough to keep the message on one line.
constexpr std::size_t kMaxQuotedChars = 64;

// Thrown and caught inside this file only: the loader stops at the first problem, and unwinding
// is simpler than threading a Result through every check. load_string turns it into an Error.
struct Rejected {
  Error error;
};

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// User text inside a message: quoted, control characters escaped, long values cut.
std::string quote(std::string_view s) {
  std::string out = "'";
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!is_continuation(c) && ++chars > kMaxQuotedChars) {
      out += "...";
      break;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

std::string did_you_mean(std::string_view unknown, const std::vector<std::string>& known) {
  const std::string near = nearest_name(unknown, known);
  if (!near.empty()) return "; did you mean '" + near + "'?";
  return "; expected one of: " + join(known);
}

std::string format_number(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The text being loaded; turns yaml-cpp marks into 1-based locations and builds the errors.
class Source {
 public:
  Source(std::string_view text, const std::string& file) : text_(text), file_(file) {
    // yaml-cpp's Mark::pos does not count a UTF-8 byte order mark.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") bom_ = 3;
  }

  const std::string& file() const { return file_; }
  std::string_view text() const { return text_; }

  Location at_line_column(int line, int column) const { return Location{file_, line, column}; }

  // yaml-cpp counts columns in bytes; people and editors count characters, so the column is
  // recounted from the text whenever the mark's byte offset agrees with its column.
  Location at(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0 || mark.column < 0) return at_line_column(1, 1);
    int column = mark.column + 1;
    const std::size_t pos = bom_ + static_cast<std::size_t>(std::max(mark.pos, 0));
    if (pos <= text_.size()) {
      std::size_t start = pos;
      while (start > bom_ && text_[start - 1] != '\n') --start;
      if (pos - start == static_cast<std::size_t>(mark.column)) {
        const std::string_view line = text_.substr(start, pos - start);
        column = 1 + static_cast<int>(std::count_if(line.begin(), line.end(), [](char c) {
                   return !is_continuation(static_cast<unsigned char>(c));
                 }));
      }
    }
    return at_line_column(mark.line + 1, column);
  }

  static Error error_at(const Location& where, const std::string& what) {
    return Error{where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " + what};
  }
  [[noreturn]] void fail(const Location& where, const std::string& what) const {
    throw Rejected{error_at(where, what)};
  }
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) const { fail(at(mark), what); }

 private:
  std::string_view text_;
  const std::string& file_;
  std::size_t bom_ = 0;
};

// --- Raw bytes: checked before yaml-cpp sees them -------------------------------------------

struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;  // 0: not valid UTF-8
};

// RFC 3629 §3-4: no overlong forms, no surrogates, nothing above U+10FFFF.
Decoded decode_utf8(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return {lead, 1};
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    len = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (!is_continuation(c)) return {};
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len};
}

// YAML 1.2 §5.1 c-printable: the characters a YAML stream may contain.
bool yaml_printable(char32_t c) {
  return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

void check_bytes(const Source& src) {
  const std::string_view text = src.text();
  const Location whole = src.at_line_column(1, 1);
  if (text.size() > kMaxFileBytes) src.fail(whole, "file is larger than 1 MiB, the limit for scenario files");
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    src.fail(whole, "file is empty; expected a scenario");

  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = decode_utf8(text, i);
    const Location here = src.at_line_column(line, column);
    if (d.length == 0) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[i]));
      src.fail(here, std::string("invalid UTF-8 (byte ") + byte + "); scenario files are UTF-8 text");
    }
    if (d.code_point == 0) src.fail(here, "NUL byte; scenario files are UTF-8 text, not binary data");
    if (!yaml_printable(d.code_point)) {
      char cp[16];
      std::snprintf(cp, sizeof cp, "U+%04X", static_cast<unsigned>(d.code_point));
      src.fail(here, std::string("control character ") + cp + " is not allowed in YAML text");
    }
    if (d.code_point == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += d.length;
  }
}

// --- Event stream: what the Node API would hide or expand -----------------------------------

// yaml-cpp's Node API silently expands aliases (an alias bomb is exponential when walked), and it
// neither reports the nesting depth nor a second document. One pass over the events rejects those
// before any node is built.
class Screen : public YAML::EventHandler {
 public:
  explicit Screen(const Source& src) : src_(src) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) src_.fail(mark, "a second YAML document; a scenario file holds exactly one");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    src_.fail(mark, "YAML aliases are not supported in scenario files; write the value out");
  }
  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    src_.fail(mark, "YAML anchor '&" + name + "' is not supported in scenario files; write the value out");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t, const std::string&) override {
    check_tag(mark, tag);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark, tag);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(mark, tag);
  }
  void OnMapEnd() override { --depth_; }

  int documents() const { return documents_; }

 private:
  // "?" marks an untagged plain node and "!" a quoted scalar; anything else was written explicitly.
  void check_tag(const YAML::Mark& mark, const std::string& tag) const {
    if (tag != "?" && tag != "!" && !tag.empty()) {
      src_.fail(mark, "YAML tag " + quote(tag) + " is not supported in scenario files");
    }
  }
  void enter(const YAML::Mark& mark, const std::string& tag) {
    check_tag(mark, tag);
    if (++depth_ > kMaxDepth) src_.fail(mark, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  const Source& src_;
  int documents_ = 0;
  int depth_ = 0;
};

// --- Nodes ------------------------------------------------------------------------------------

std::string kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "a scalar";
    default: return "nothing";
  }
}

// A value as a message shows it after "got".
std::string shown(const YAML::Node& n) {
  if (!n.IsScalar()) return kind_of(n);
  return n.Tag() == "!" ? "the quoted string " + quote(n.Scalar()) : quote(n.Scalar());
}

// A YAML 1.2 core-schema decimal integer, written unquoted ("5000" in quotes is a string), that
// fits in T; nullopt otherwise.
template <typename T>
std::optional<T> decimal(const YAML::Node& n) {
  if (!n.IsScalar() || n.Tag() != "?") return std::nullopt;
  std::string_view s = n.Scalar();
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  if (s[0] == '+') s.remove_prefix(1);  // from_chars takes '-' but not '+'
  T v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Field {
  YAML::Node key;
  YAML::Node value;
};

class Loader {
 public:
  Loader(const Source& src, const Vocabulary& vocab) : src_(src), vocab_(vocab) {
    for (const auto& a : vocab.attacks) attack_names_.push_back(a.name);
    for (const auto& t : vocab.trust) trust_names_.push_back(t.name);
  }

  Scenario load(const YAML::Node& root) {
    static const std::vector<std::string> keys = {"name",  "description", "deadline_ms", "seed",     "peers",
                                                  "relay", "stun",        "turn",        "sessions", "scale"};
    if (root.IsNull()) src_.fail(root.Mark(), "the YAML document is empty; expected a scenario");
    if (!root.IsMap())
      src_.fail(root.Mark(), "expected a mapping of scenario keys (" + join(keys) + "), got " + kind_of(root));
    const auto fields = fields_of(root, "at the top level", keys);

    Scenario s;
    s.file = src_.file();
    const Field& name = require(fields, root, "the scenario", "name");
    s.name = text(name, "a scenario name");
    if (!valid_scenario_name(s.name)) {
      fail_value(name, "scenario name must be 1 to 64 characters from A-Z a-z 0-9 _ . -, got " + quote(s.name));
    }
    if (const Field* f = find(fields, "description")) s.description = text(*f, "a description");
    if (const Field* f = find(fields, "deadline_ms")) s.deadline_ms = integer<std::uint32_t>(*f, 1, kMaxDeadlineMs);
    if (const Field* f = find(fields, "seed")) s.seed = integer<std::uint64_t>(*f, 0, UINT64_MAX);
    // `scale` generates the peers and sessions, so it stands instead of both.
    const Field* scale_field = find(fields, "scale");
    if (scale_field) {
      for (const char* generated : {"peers", "sessions"})
        if (const Field* f = find(fields, generated))
          fail(f->key, "'" + std::string(generated) +
                           "' cannot be used with 'scale', which generates the peers and "
                           "sessions; remove one of them");
    }
    if (!scale_field) s.peers = peers(require(fields, root, "the scenario", "peers"));
    const Field* relay_field = find(fields, "relay");
    s.attack = relay_field ? relay(*relay_field) : honest_relay(root.Mark());
    if (const Field* f = find(fields, "stun")) s.stun = node_kind(*f, "stun");
    if (const Field* f = find(fields, "turn")) s.turn = node_kind(*f, "turn");
    // Where peers get the candidates their ICE policy needs: an honest node
    // or the attacker's node at that position.
    const AttackDecl* attack = attack_decl(s.attack.name);
    const AttackPosition position = attack ? attack->position : AttackPosition::None;
    for (const auto& p : s.peers) {
      if (p.relay_only && s.turn == "none" && position != AttackPosition::Turn)
        src_.fail(p.where,
                  "peer '" + p.name + "' has ice_policy: relay but there is no TURN server: add 'turn: coturn'");
      if (p.behind_nat && s.stun == "none" && position != AttackPosition::Stun)
        src_.fail(p.where, "peer '" + p.name + "' is behind_nat but there is no STUN server: add 'stun: coturn'");
    }
    if (scale_field) scale(*scale_field, s);
    else s.sessions = sessions(require(fields, root, "the scenario", "sessions"), s.peers);
    if (attack) can_act(*attack, s);
    return s;
  }

 private:
  using Fields = std::vector<std::pair<std::string, Field>>;

  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const { src_.fail(n.Mark(), what); }
  // An empty value has no useful mark of its own (yaml-cpp puts it on the next token), so
  // problems with it are reported at its key.
  [[noreturn]] void fail_value(const Field& f, const std::string& what) const {
    fail(f.value.IsNull() ? f.key : f.value, what);
  }

  // The entries of a mapping, in document order, after checking each key is an allowed name that
  // appears once. yaml-cpp keeps every duplicate when iterating, so duplicates are found here.
  // `context` completes "unknown key 'x' ..." ("in a peer", "of attack 'swap-mitm'").
  Fields fields_of(const YAML::Node& map, const std::string& context, const std::vector<std::string>& allowed,
                   const std::string& noun = "key") const {
    Fields out;
    for (const auto& kv : map) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar()) fail(key, "expected a " + noun + " name " + context + ", got " + kind_of(key));
      const std::string& name = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        fail(key, "unknown " + noun + " " + quote(name) + " " + context + did_you_mean(name, allowed));
      }
      const auto dup = std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == name; });
      if (dup != out.end()) {
        const Location first = src_.at(dup->second.key.Mark());
        fail(key, "duplicate " + noun + " " + quote(name) + " " + context + " (first at line " +
                      std::to_string(first.line) + ", column " + std::to_string(first.column) + ")");
      }
      out.emplace_back(name, Field{key, kv.second});
    }
    return out;
  }

  static const Field* find(const Fields& fields, std::string_view key) {
    for (const auto& [name, field] : fields) {
      if (name == key) return &field;
    }
    return nullptr;
  }

  const Field& require(const Fields& fields, const YAML::Node& map, const std::string& subject,
                       std::string_view key) const {
    const Field* f = find(fields, key);
    if (!f) fail(map, subject + " is missing the required key '" + std::string(key) + "'");
    return *f;
  }

  const YAML::Node& mapping(const YAML::Node& n, const std::string& expected) const {
    if (!n.IsMap()) fail(n, "expected " + expected + ", got " + kind_of(n));
    return n;
  }

  const YAML::Node& sequence(const Field& f, const std::string& expected) const {
    if (!f.value.IsSequence()) fail_value(f, "expected " + expected + ", got " + kind_of(f.value));
    return f.value;
  }

  const std::string& text(const Field& f, const std::string& expected) const {
    if (!f.value.IsScalar())
      fail_value(f, "expected " + expected + " for '" + f.key.Scalar() + "', got " + kind_of(f.value));
    return f.value.Scalar();
  }

  template <typename T>
  T integer(const Field& f, T lo, T hi) const {
    const auto v = decimal<T>(f.value);
    if (!v || *v < lo || *v > hi) {
      fail_value(f, f.key.Scalar() + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                        ", got " + shown(f.value));
    }
    return *v;
  }

  std::string node_kind(const Field& f, const std::string& what) const {
    const std::string& v = text(f, "'coturn' or 'none'");
    if (v != "coturn" && v != "none")
      fail_value(f, what + " must be 'coturn' (the honest node) or 'none', got " + quote(v));
    return v;
  }

  bool boolean(const Field& f) const {
    const YAML::Node& v = f.value;
    if (!v.IsScalar() || v.Tag() != "?" || (v.Scalar() != "true" && v.Scalar() != "false")) {
      fail_value(f, f.key.Scalar() + " must be true or false, got " + shown(v));
    }
    return v.Scalar() == "true";
  }

  static bool valid_scenario_name(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
             c == '-';
    });
  }

  static bool valid_peer_name(std::string_view s) {
    return !s.empty() && s.size() <= 32 && s[0] >= 'a' && s[0] <= 'z' && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
  }

  // --- peers ---

  std::vector<PeerSpec> peers(const Field& f) const {
    static const std::vector<std::string> keys = {"name", "trust", "params", "ice_policy", "behind_nat"};
    const YAML::Node& seq = sequence(f, "a sequence of peers");
    if (seq.size() < kMinPeers || seq.size() > kMaxPeers) {
      fail(seq, "a scenario needs " + std::to_string(kMinPeers) + " to " + std::to_string(kMaxPeers) + " peers, got " +
                    std::to_string(seq.size()));
    }
    std::vector<PeerSpec> out;
    for (const auto& node : seq) {
      const auto fields = fields_of(mapping(node, "a peer (a mapping with name and trust)"), "in a peer", keys);
      PeerSpec p;
      p.where = src_.at(node.Mark());
      const Field& name = require(fields, node, "a peer", "name");
      p.name = text(name, "a peer name");
      if (!valid_peer_name(p.name)) {
        fail_value(name,
                   "peer name must be a lower-case letter followed by up to 31 of a-z 0-9 _ -, got " + quote(p.name));
      }
      // The attacker node is "mallory" in every report; a peer of that name
      // would make the ground truth (who owns a certificate) ambiguous.
      if (p.name == "mallory") fail_value(name, "peer name 'mallory' is reserved for the attacker");
      const auto dup = std::find_if(out.begin(), out.end(), [&](const PeerSpec& q) { return q.name == p.name; });
      if (dup != out.end()) {
        fail(name.value, "duplicate peer " + quote(p.name) + " (first declared at line " +
                             std::to_string(dup->where.line) + ", column " + std::to_string(dup->where.column) + ")");
      }
      p.trust = trust(require(fields, node, "a peer", "trust"));
      // The parameters of all its trust configurations, declared once each (docs/architecture.md, convention 9).
      AttackDecl combined{"", AttackPosition::None, "", {}};
      combined.name = join_trust(p.trust);
      for (const auto& t : p.trust)
        for (const auto& param : trust_decl(t)->params) combined.params.push_back(param);
      p.trust_params = defaults(&combined);
      if (const Field* pf = find(fields, "params")) params(*pf, combined, p.trust_params, "of trust '");
      if (const Field* ip = find(fields, "ice_policy")) {
        const std::string& policy = text(*ip, "an ICE policy (all or relay)");
        if (policy != "all" && policy != "relay")
          fail_value(*ip, "ice_policy must be 'all' or 'relay', got " + quote(policy));
        p.relay_only = policy == "relay";
      }
      if (const Field* nat = find(fields, "behind_nat")) p.behind_nat = boolean(*nat);
      out.push_back(std::move(p));
    }
    return out;
  }

  std::vector<std::string> trust(const Field& f) const {
    const std::string& spec = text(f, "a trust configuration name, or several joined with '+',");
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
      const std::size_t plus = spec.find('+', start);
      std::string part = spec.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      if (part.empty()) fail_value(f, "empty trust configuration name in " + quote(spec));
      if (std::find(trust_names_.begin(), trust_names_.end(), part) == trust_names_.end()) {
        fail_value(f, "unknown trust configuration " + quote(part) + did_you_mean(part, trust_names_));
      }
      if (std::find(out.begin(), out.end(), part) != out.end()) {
        fail_value(f, "trust configuration " + quote(part) + " is listed twice in " + quote(spec));
      }
      out.push_back(std::move(part));
      if (plus == std::string::npos) return out;
      start = plus + 1;
    }
  }

  const TrustDecl* trust_decl(std::string_view name) const {
    for (const auto& t : vocab_.trust) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  static std::string join_trust(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : "+") + n;
    return out;
  }

  // --- relay ---

  const AttackDecl* attack_decl(std::string_view name) const {
    for (const auto& a : vocab_.attacks) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }

  static ParamValues defaults(const AttackDecl* decl) {
    ParamValues out;
    if (decl) {
      for (const auto& p : decl->params) out[p.name] = p.default_value;
    }
    return out;
  }

  AttackSpec honest_relay(const YAML::Mark& mark) const {
    AttackSpec a;
    a.params = defaults(attack_decl(a.name));
    a.where = src_.at(mark);
    return a;
  }

  AttackSpec relay(const Field& f) const {
    static const std::vector<std::string> keys = {"attack", "params", "rewrite", "sdp_rules"};
    const YAML::Node& node = f.value;
    if (node.IsScalar()) {
      if (node.Scalar() == "honest") return honest_relay(node.Mark());
      if (attack_decl(node.Scalar())) {
        fail(node,
             "relay: expected 'honest' or a mapping; to run an attack write 'relay: {attack: " + node.Scalar() + "}'");
      }
    }
    if (!node.IsMap()) fail_value(f, "relay: expected 'honest' or a mapping with 'attack', got " + shown(node));

    const auto fields = fields_of(node, "in the relay", keys);
    AttackSpec a;
    a.where = src_.at(node.Mark());
    const Field& attack = require(fields, node, "the relay", "attack");
    a.name = text(attack, "an attack name");
    a.name_at = src_.at(attack.value.Mark());
    const AttackDecl* decl = attack_decl(a.name);
    if (!decl) fail_value(attack, "unknown attack " + quote(a.name) + did_you_mean(a.name, attack_names_));
    a.params = defaults(decl);
    if (const Field* p = find(fields, "params")) params(*p, *decl, a.params);
    const bool bridged_rules = decl->declarative && a.params.count("bridge") && a.params.at("bridge") == "true";
    const Field* rules = find(fields, "sdp_rules");
    if (rules && !decl->declarative) {
      fail(rules->key,
           "'sdp_rules' go with attack 'sdp-rules' (relay: {attack: sdp-rules, sdp_rules: [...]}); attack " +
               quote(a.name) + " does its own rewriting");
    }
    if (decl->declarative) {
      if (!rules) {
        fail(attack.value, "attack " + quote(a.name) +
                               " needs 'sdp_rules' in the relay: a sequence of {match, replace, in} line rules");
      }
      a.sdp_rules = sdp_rules(*rules, bridged_rules);
    }
    if (const Field* r = find(fields, "rewrite")) {
      if (a.name == "none") fail(r->key, "'rewrite' needs an attack; with attack 'none' messages pass unchanged");
      // Only an attacker that carries the data between its own DTLS legs can change it.
      if (decl->declarative && !bridged_rules) {
        fail(r->key, "'rewrite' needs the attacker to bridge the peers' data; attack " + quote(a.name) +
                         " bridges only with 'params: {bridge: true}'");
      }
      if (!decl->bridges && !decl->declarative) {
        fail(r->key, "'rewrite' needs an attack that bridges the peers' data (" + join(bridging_attacks()) +
                         "); attack " + quote(a.name) + " does not carry it, so the rules would never apply");
      }
      a.rewrite_at = src_.at(r->key.Mark());
      a.rewrite = rewrite(*r);
    }
    return a;
  }

  std::vector<std::string> bridging_attacks() const {
    std::vector<std::string> out;
    for (const auto& a : vocab_.attacks)
      if (a.bridges) out.push_back(a.name);
    return out;
  }

  // An attack that cannot act in this scenario would report `secure` and
  // read as assurance: refuse it. The attacker at the TURN position is on the
  // path only of a session one of whose peers takes relayed candidates only
  // (`ice_policy: relay`; otherwise the direct host pair wins), at the STUN
  // position only where a peer's host address is hidden (`behind_nat`), and
  // every attack only on sessions not marked `attacked: false`.
  void can_act(const AttackDecl& decl, const Scenario& s) const {
    if (decl.position == AttackPosition::None) return;
    const auto peer = [&](const std::string& name) -> const PeerSpec* {
      for (const auto& p : s.peers)
        if (p.name == name) return &p;
      return nullptr;
    };
    bool attacked = false, reached = false;
    for (const auto& sess : s.sessions) {
      if (!sess.attacked) continue;
      attacked = true;
      for (const std::string* end : {&sess.offerer, &sess.answerer}) {
        const PeerSpec* p = peer(*end);
        if (!p) continue;
        if (decl.position == AttackPosition::Turn && p->relay_only) reached = true;
        if (decl.position == AttackPosition::Stun && p->behind_nat) reached = true;
      }
    }
    const Location& at = s.attack.name_at.line ? s.attack.name_at : s.attack.where;
    if (!attacked) {
      src_.fail(at, "attack " + quote(decl.name) +
                        " cannot act: every session is 'attacked: false'; mark a session as attacked or use "
                        "'relay: honest'");
    }
    if (decl.position == AttackPosition::Turn && !reached) {
      src_.fail(at, "attack " + quote(decl.name) +
                        " sits at the TURN position, but no attacked session goes through TURN, so it would "
                        "never act: give a peer of an attacked session 'ice_policy: relay'");
    }
    if (decl.position == AttackPosition::Stun && !reached) {
      src_.fail(at, "attack " + quote(decl.name) +
                        " sits at the STUN position, but no attacked session depends on what STUN says, so it "
                        "would never act: make a peer of an attacked session 'behind_nat: true'");
    }
  }

  void params(const Field& f, const AttackDecl& decl, ParamValues& values,
              const std::string& of = "of attack '") const {
    const std::string of_attack = of + decl.name + "'";
    if (!f.value.IsMap())
      fail_value(f, "expected a mapping of the parameters " + of_attack + ", got " + kind_of(f.value));
    if (decl.params.empty() && f.value.size() > 0)
      fail(f.value.begin()->first, of_attack.substr(3) + " takes no parameters");
    std::vector<std::string> declared;
    for (const auto& p : decl.params) declared.push_back(p.name);
    for (const auto& [name, field] : fields_of(f.value, of_attack, declared, "parameter")) {
      const auto it =
          std::find_if(decl.params.begin(), decl.params.end(), [&n = name](const ParamDecl& p) { return p.name == n; });
      values[name] = param_value(field, *it, of_attack);
    }
  }

  std::string param_value(const Field& f, const ParamDecl& p, const std::string& of_attack) const {
    const std::string what = "parameter '" + p.name + "' " + of_attack;
    const YAML::Node& v = f.value;
    const bool plain = v.IsScalar() && v.Tag() == "?";
    const bool bounded = p.min != p.max;
    const std::string range = bounded ? " from " + format_number(p.min) + " to " + format_number(p.max) : "";
    switch (p.type) {
      case ParamDecl::Type::String: return text(f, "a string");
      case ParamDecl::Type::Choice: {
        const std::string& s = text(f, "one of " + join(p.choices));
        if (std::find(p.choices.begin(), p.choices.end(), s) == p.choices.end()) {
          fail_value(f, "invalid value " + quote(s) + " for " + what + did_you_mean(s, p.choices));
        }
        return s;
      }
      case ParamDecl::Type::Bool:
        if (!plain || (v.Scalar() != "true" && v.Scalar() != "false")) {
          fail_value(f, what + " must be true or false, got " + shown(v));
        }
        return v.Scalar();
      case ParamDecl::Type::Int: {
        const auto n = decimal<std::int64_t>(v);
        if (!n || (bounded && (static_cast<double>(*n) < p.min || static_cast<double>(*n) > p.max))) {
          fail_value(f, what + " must be an integer" + range + ", got " + shown(v));
        }
        return std::to_string(*n);
      }
      case ParamDecl::Type::Double: {
        double d = 0;
        std::string_view s = plain ? std::string_view(v.Scalar()) : std::string_view();
        if (!s.empty() && s[0] == '+') s.remove_prefix(1);
        const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
        // from_chars also accepts "inf" and "nan", which no parameter means.
        if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(d) ||
            (bounded && (d < p.min || d > p.max))) {
          fail_value(f, what + " must be a number" + range + ", got " + shown(v));
        }
        return v.Scalar();
      }
    }
    fail_value(f, "unsupported type of " + what);
  }

  // The line rules of attack `sdp-rules`. `bridged`: the attacker's bridge
  // writes the ICE credentials and candidates itself (that is how it gets on
  // the path), so a rule that would change those lines is refused.
  std::vector<SdpRule> sdp_rules(const Field& f, bool bridged) const {
    static const std::vector<std::string> keys = {"match", "replace", "in"};
    static const std::vector<std::string> in_values = {"offer", "answer", "both"};
    // What the bridge's own transport lines look like (RFC 8839 §5).
    static const std::vector<std::string> transport_lines = {"a=ice-ufrag:Ab3d", "a=ice-pwd:0123456789abcdefghijklmn",
                                                             "a=candidate:1 1 UDP 2130706431 127.0.0.4 40001 typ host",
                                                             "a=end-of-candidates"};
    std::vector<SdpRule> out;
    const auto& seq = sequence(f, "a sequence of SDP line rules ({match, replace, in})");
    if (seq.size() == 0) fail_value(f, "'sdp_rules' is empty: give at least one {match, replace} rule");
    if (seq.size() > kMaxSdpRules)
      fail_value(
          f, "too many SDP rules (" + std::to_string(seq.size()) + "; at most " + std::to_string(kMaxSdpRules) + ")");
    for (const auto& node : seq) {
      const auto fields =
          fields_of(mapping(node, "an SDP line rule (a mapping with match and replace)"), "in an SDP rule", keys);
      SdpRule r;
      r.where = src_.at(node.Mark());
      const Field* match = find(fields, "match");
      const Field* replace = find(fields, "replace");
      if (!match && replace) fail(replace->key, "'replace' without 'match': say which lines it replaces");
      if (!match) fail(node, "an SDP rule is missing the required key 'match'");
      if (!replace)
        fail(match->key,
             "'match' without 'replace': give the replacement ('' removes the matched text; a line "
             "left empty is removed)");
      r.match = text(*match, "a regular expression");
      if (r.match.empty()) fail_value(*match, "'match' of an SDP rule must not be empty");
      if (r.match.size() > kMaxSdpRuleLength)
        fail_value(*match, "'match' is longer than " + std::to_string(kMaxSdpRuleLength) + " bytes");
      std::regex re;
      try {
        re = std::regex(r.match, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        fail_value(*match, "invalid regular expression " + quote(r.match) + ": " + e.what());
      }
      r.replace = text(*replace, "the replacement text");
      if (r.replace.size() > kMaxSdpRuleLength)
        fail_value(*replace, "'replace' is longer than " + std::to_string(kMaxSdpRuleLength) + " bytes");
      for (size_t open = r.replace.find('{'); open != std::string::npos; open = r.replace.find('{', open + 1)) {
        const size_t close = r.replace.find('}', open);
        if (close == std::string::npos) break;
        const std::string name = r.replace.substr(open, close - open + 1);
        const bool word =
            std::all_of(name.begin() + 1, name.end() - 1, [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
        if (word && name.size() > 2 && name != kAttackerFingerprintPlaceholder) {
          fail_value(*replace, "unknown placeholder " + quote(name) + " in 'replace'; the only placeholder is " +
                                   quote(kAttackerFingerprintPlaceholder));
        }
      }
      if (const Field* in = find(fields, "in")) {
        const std::string& v = text(*in, "offer, answer or both");
        if (std::find(in_values.begin(), in_values.end(), v) == in_values.end())
          fail_value(*in, "'in' must be offer, answer or both, got " + quote(v) + did_you_mean(v, in_values));
        r.offer = v != "answer";
        r.answer = v != "offer";
      }
      if (bridged) {
        for (const auto& line : transport_lines) {
          if (std::regex_search(line, re)) {
            fail_value(*match,
                       "with 'bridge: true' the attacker writes the ICE credentials and candidates itself "
                       "to get on the path; this rule also matches " +
                           quote(line.substr(0, line.find(':') + 1) + "…") +
                           " lines, so the bridge could not work: narrow 'match' (e.g. ^a=fingerprint:)");
          }
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<RewriteRule> rewrite(const Field& f) const {
    static const std::vector<std::string> keys = {"from", "to"};
    std::vector<RewriteRule> out;
    for (const auto& node : sequence(f, "a sequence of rewrite rules ({from, to})")) {
      const auto fields =
          fields_of(mapping(node, "a rewrite rule (a mapping with from and to)"), "in a rewrite rule", keys);
      RewriteRule r;
      const Field& from = require(fields, node, "a rewrite rule", "from");
      r.from = text(from, "the text to replace");
      if (r.from.empty()) fail_value(from, "'from' of a rewrite rule must not be empty");
      r.to = text(require(fields, node, "a rewrite rule", "to"), "the replacement text");
      out.push_back(std::move(r));
    }
    return out;
  }

  // --- scale ---

  // N offerer/answerer pairs, all in round 0: offerer1..offererN with
  // answerer1..answererN, one trust configuration for everyone.
  void scale(const Field& f, Scenario& s) const {
    static const std::vector<std::string> keys = {"pairs", "trust", "expect", "messages", "media"};
    if (!f.value.IsMap())
      fail_value(
          f, "expected a mapping with pairs (and optionally trust, expect, messages, media), got " + kind_of(f.value));
    const auto fields = fields_of(f.value, "in scale", keys);
    const auto pairs = integer<std::uint32_t>(require(fields, f.value, "scale", "pairs"), 1, kMaxScalePairs);
    std::vector<std::string> trust_names = {"sdp-fingerprint"};
    if (const Field* t = find(fields, "trust")) trust_names = trust(*t);
    ParamValues params;
    bool out_of_band = false;
    for (const auto& t : trust_names) {
      const TrustDecl* decl = trust_decl(t);
      for (const auto& param : decl->params) params[param.name] = param.default_value;
      // What the written form makes the user declare, generated sessions are given.
      out_of_band = out_of_band || decl->needs_out_of_band;
    }
    std::string expect = "secure";
    if (const Field* e = find(fields, "expect")) expect = expected_outcome(*e);
    std::uint32_t messages = 1;
    if (const Field* m = find(fields, "messages")) messages = integer<std::uint32_t>(*m, 0, kMaxScaleMessages);
    bool audio = false;
    if (const Field* m = find(fields, "media")) audio = media(*m);

    const Location where = src_.at(f.value.Mark());
    for (std::uint32_t i = 1; i <= pairs; ++i) {
      SessionSpec session;
      session.offerer = "offerer" + std::to_string(i);
      session.answerer = "answerer" + std::to_string(i);
      session.expect = expect;
      session.out_of_band = out_of_band;
      session.audio = audio;
      session.where = where;
      for (std::uint32_t k = 1; k <= messages; ++k)
        for (const std::string* from : {&session.offerer, &session.answerer})
          session.messages.push_back({*from, "message " + std::to_string(k) + " from " + *from});
      for (const std::string* name : {&session.offerer, &session.answerer})
        s.peers.push_back(PeerSpec{*name, trust_names, params, false, false, where});
      s.sessions.push_back(std::move(session));
    }
  }

  // --- sessions ---

  std::vector<SessionSpec> sessions(const Field& f, const std::vector<PeerSpec>& declared) const {
    static const std::vector<std::string> keys = {"offerer", "answerer", "expect",      "messages",
                                                  "round",   "attacked", "out_of_band", "media"};
    std::vector<std::string> peer_names;
    for (const auto& p : declared) peer_names.push_back(p.name);

    const YAML::Node& seq = sequence(f, "a sequence of sessions");
    if (seq.size() < kMinSessions || seq.size() > kMaxSessions) {
      fail(seq, "a scenario needs " + std::to_string(kMinSessions) + " to " + std::to_string(kMaxSessions) +
                    " sessions, got " + std::to_string(seq.size()));
    }
    std::map<std::pair<std::string, std::uint32_t>, Location> in_session;
    std::vector<SessionSpec> out;
    for (const auto& node : seq) {
      const auto fields =
          fields_of(mapping(node, "a session (a mapping with offerer, answerer, expect)"), "in a session", keys);
      SessionSpec s;
      s.where = src_.at(node.Mark());
      const Field& offerer = require(fields, node, "a session", "offerer");
      const Field& answerer = require(fields, node, "a session", "answerer");
      s.offerer = member(offerer, peer_names);
      s.answerer = member(answerer, peer_names);
      if (s.offerer == s.answerer) {
        fail_value(answerer, "peer " + quote(s.offerer) + " is both offerer and answerer; a session needs two peers");
      }
      if (const Field* r = find(fields, "round")) s.round = integer<std::uint32_t>(*r, 0, kMaxSessions - 1);
      if (const Field* a = find(fields, "attacked")) s.attacked = boolean(*a);
      if (const Field* o = find(fields, "out_of_band")) s.out_of_band = boolean(*o);
      for (const Field* end : {&offerer, &answerer}) {
        const std::string& name = end->value.Scalar();
        const auto [it, fresh] = in_session.emplace(std::make_pair(name, s.round), s.where);
        if (!fresh) {
          fail_value(*end, "peer " + quote(name) + " is already in the session at line " +
                               std::to_string(it->second.line) + ", column " + std::to_string(it->second.column) +
                               " of round " + std::to_string(s.round) + "; a peer takes part in one session per round");
        }
        // Trust configurations that compare something over the users' own channel need one.
        for (const auto& peer : declared) {
          if (peer.name != name) continue;
          for (const auto& t : peer.trust) {
            const TrustDecl* decl = trust_decl(t);
            if (decl && decl->needs_out_of_band && !s.out_of_band) {
              fail_value(*end, "peer " + quote(name) + " uses trust '" + t +
                                   "', which needs a channel the attacker does not control: add "
                                   "'out_of_band: true' to this session");
            }
          }
        }
      }
      s.expect = expected_outcome(require(fields, node, "a session", "expect"));
      if (const Field* m = find(fields, "messages")) s.messages = messages(*m, s);
      if (const Field* m = find(fields, "media")) s.audio = media(*m);
      out.push_back(std::move(s));
    }
    return out;
  }

  // `media: [audio]`: the kinds of media the session's call carries. Only
  // audio is simulated (a tone as Opus over SRTP); an empty list is no call.
  bool media(const Field& f) const {
    static const std::vector<std::string> kinds = {"audio"};
    bool audio = false;
    for (const auto& node : sequence(f, "a sequence of media kinds (e.g. [audio])")) {
      const Field kind{f.key, node};
      const std::string& name = text(kind, "a media kind");
      if (name == "video")
        fail_value(kind, "video is not simulated (virtual peers send audio only); expected one of: " + join(kinds));
      if (std::find(kinds.begin(), kinds.end(), name) == kinds.end())
        fail_value(kind, "unknown media kind " + quote(name) + did_you_mean(name, kinds));
      if (audio) fail_value(kind, "media kind " + quote(name) + " is listed twice");
      audio = true;
    }
    return audio;
  }

  std::string member(const Field& f, const std::vector<std::string>& peer_names) const {
    const std::string& name = text(f, "a peer name");
    if (std::find(peer_names.begin(), peer_names.end(), name) == peer_names.end()) {
      fail_value(f, "unknown peer " + quote(name) + " as " + f.key.Scalar() + did_you_mean(name, peer_names));
    }
    return name;
  }

  std::string expected_outcome(const Field& f) const {
    const std::vector<std::string>& outcomes = expectable_outcome_names();
    const std::string& name = text(f, "an outcome name");
    if (name == "error") {
      fail_value(f, "'error' means the simulator failed and cannot be expected; expected one of: " + join(outcomes));
    }
    if (std::find(outcomes.begin(), outcomes.end(), name) == outcomes.end()) {
      fail_value(f, "unknown outcome " + quote(name) + did_you_mean(name, outcomes));
    }
    return name;
  }

  std::vector<MessageSpec> messages(const Field& f, const SessionSpec& s) const {
    static const std::vector<std::string> keys = {"from", "text"};
    std::vector<MessageSpec> out;
    for (const auto& node : sequence(f, "a sequence of messages ({from, text})")) {
      const auto fields = fields_of(mapping(node, "a message (a mapping with from and text)"), "in a message", keys);
      MessageSpec m;
      const Field& from = require(fields, node, "a message", "from");
      m.from = text(from, "a peer name");
      if (m.from != s.offerer && m.from != s.answerer) {
        fail_value(from, "message from " + quote(m.from) + ", who is not in this session (offerer '" + s.offerer +
                             "', answerer '" + s.answerer + "')");
      }
      const Field& body = require(fields, node, "a message", "text");
      m.text = text(body, "the message text");
      if (m.text.empty() || m.text.size() > kMaxTextBytes) {
        fail_value(body, "message text must be 1 to " + std::to_string(kMaxTextBytes) + " bytes, got " +
                             std::to_string(m.text.size()));
      }
      out.push_back(std::move(m));
    }
    return out;
  }

  const Source& src_;
  const Vocabulary& vocab_;
  std::vector<std::string> attack_names_;
  std::vector<std::string> trust_names_;
};

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the commonest typo.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string nearest_name(std::string_view unknown, const std::vector<std::string>& known) {
  // Anything longer is not a typo of a name (and would make the distance table needlessly big).
  if (unknown.size() > 256) return "";
  const std::string u = ascii_lower(unknown);
  std::string best;
  std::size_t best_distance = 0;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(u, ascii_lower(k));
    // Close means a couple of edits that leave part of the word standing ("ab" is not a typo of
    // "sas"), or up to a third of a longer name.
    const bool close = (d <= 2 && d < std::min(u.size(), k.size())) || d <= u.size() / 3;
    if (close && (best.empty() || d < best_distance)) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

Result<Scenario> load_string(std::string_view text, const std::string& file, const Vocabulary& vocab) {
  const Source src(text, file);
  try {
    check_bytes(src);
    const std::string owned(text);
    {
      std::istringstream in(owned);
      YAML::Parser parser(in);
      Screen screen(src);
      while (parser.HandleNextDocument(screen)) {}
      if (screen.documents() == 0) src.fail(src.at_line_column(1, 1), "file holds only comments; expected a scenario");
    }
    return Loader(src, vocab).load(YAML::Load(owned));
  } catch (const Rejected& r) {
    return r.error;
  } catch (const YAML::Exception& e) {
    return Source::error_at(src.at(e.mark), "invalid YAML: " + e.msg);
  }
}

Result<Scenario> load_file(const std::string& path, const Vocabulary& vocab) {
  const auto cannot_read = [&](int err) {
    return Error{path + ":1:1: cannot read " + path + ": " + std::strerror(err)};
  };
  const FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return cannot_read(errno);
  // One byte past the limit is enough for load_string to reject the file without reading all of it.
  std::string text(kMaxFileBytes + 1, '\0');
  const std::size_t n = std::fread(text.data(), 1, text.size(), f.get());
  if (std::ferror(f.get())) return cannot_read(errno);
  text.resize(n);
  return load_string(text, path, vocab);
}

}  // namespace sigtrust::scenario
