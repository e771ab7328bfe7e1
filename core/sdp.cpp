#include "core/sdp.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <utility>

namespace sigtrust::sdp {
namespace {

// Bounds the work any one message from the network can cause; real data
// channel offers are 1-3 KiB.
constexpr std::size_t kMaxInputBytes = 64 * 1024;

Error line_error(std::size_t line, std::string_view reason) {
  return Error{"line " + std::to_string(line) + ": " + std::string(reason)};
}

// Error messages echo untrusted text; a short excerpt is enough to find it.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  if (s.size() <= kMax) return "'" + std::string(s) + "'";
  return "'" + std::string(s.substr(0, kMax)) + "...'";
}

std::string hex_byte(unsigned char c) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  return std::string("0x") + kDigits[c >> 4] + kDigits[c & 0xf];
}

// RFC 8866 §9: token-char, i.e. visible ASCII minus the separators.
bool is_token_char(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d || c == 0x2e ||
         (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x5e && c <= 0x7e);
}

bool is_token(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

bool is_vchar(unsigned char c) { return c >= 0x21 && c <= 0x7e; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

// RFC 5234 §2.3: quoted literals in ABNF ("typ", "raddr", "rport") are
// case-insensitive.
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// Splits on every single SP, keeping empty fields so that callers can reject
// doubled or trailing spaces: RFC 8866 §9 and RFC 8839 §5.1 separate fields by
// exactly one SP.
std::vector<std::string_view> split_sp(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t sp = s.find(' ', start);
    if (sp == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, sp - start));
    start = sp + 1;
  }
}

bool has_empty_field(const std::vector<std::string_view>& fields) {
  return std::any_of(fields.begin(), fields.end(), [](std::string_view f) { return f.empty(); });
}

// Decimal digits only (no sign, no whitespace); the digit cap keeps from_chars
// within uint64 whatever the input.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t min, std::uint64_t max) {
  if (s.empty() || s.size() > 10 || !all_digits(s)) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

// RFC 8866 §5: a line ends in CRLF (LF alone is tolerated, and the caller has
// already stripped the terminator). Any other control character, including a
// CR that does not end the line, would let one field smuggle in another line
// once re-serialised. Tab is allowed inside free text.
std::optional<std::string> find_control(std::string_view line) {
  for (const char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\t') continue;
    if (c == 0) return "NUL byte";
    if (c == '\r') return "CR not followed by LF";
    if (c < 0x20 || c == 0x7f) return "control character " + hex_byte(c);
  }
  return std::nullopt;
}

// RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
// The number of ports is validated but not kept: Media has no field for it
// and WebRTC data channels (RFC 8841) never send one.
Result<Media> parse_media_line(std::string_view value) {
  const auto fields = split_sp(value);
  if (fields.size() < 4) return Error{"m= needs '<media> <port> <proto> <fmt> ...'"};
  if (has_empty_field(fields)) return Error{"m= fields must be separated by single spaces"};

  Media m;
  if (!is_token(fields[0])) return Error{"m= media " + quoted(fields[0]) + " is not a token"};
  m.media = std::string(fields[0]);

  std::string_view port = fields[1];
  if (const std::size_t slash = port.find('/'); slash != std::string_view::npos) {
    if (!parse_decimal(port.substr(slash + 1), 1, 65535)) {
      return Error{"m= port count in " + quoted(port) + " is not a number in 1..65535"};
    }
    port = port.substr(0, slash);
  }
  const auto port_number = parse_decimal(port, 0, 65535);
  if (!port_number) return Error{"m= port " + quoted(port) + " is not a number in 0..65535"};
  m.port = static_cast<std::uint16_t>(*port_number);

  // RFC 8866 §9: proto = token *("/" token).
  const std::string_view proto = fields[2];
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = proto.find('/', start);
    const std::string_view part = proto.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!is_token(part)) return Error{"m= proto " + quoted(proto) + " is not token/token/..."};
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  m.proto = std::string(proto);

  for (std::size_t i = 3; i < fields.size(); ++i) {
    if (!is_token(fields[i])) return Error{"m= format " + quoted(fields[i]) + " is not a token"};
    m.formats.emplace_back(fields[i]);
  }
  return m;
}

// RFC 8866 §5.13: a=<attribute-name>[:<attribute-value>]. The name is split at
// the first ':' so values may contain ':' (fingerprints, candidates). An empty
// name is rejected because the grammar requires a token (§9); otherwise names
// and values are kept verbatim, so a present-but-empty value ("a=x:") stays
// distinct from a flag ("a=x").
Result<Attribute> parse_attribute(std::string_view value) {
  const std::size_t colon = value.find(':');
  Attribute a;
  a.name = std::string(value.substr(0, colon));
  if (a.name.empty()) return Error{"attribute name is empty"};
  if (colon != std::string_view::npos) a.value = std::string(value.substr(colon + 1));
  return a;
}

// RFC 3986 §3.2.2 dec-octet: no leading zeros, which some resolvers would read
// as octal and so disagree with us about the address.
bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3 || !all_digits(part)) return false;
    if (part.size() > 1 && part[0] == '0') return false;
    if (!parse_decimal(part, 0, 255)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

bool is_ipv6(std::string_view s) {
  std::array<char, 64> text{};
  if (s.empty() || s.size() >= text.size() || s.find(':') == std::string_view::npos) return false;
  std::copy(s.begin(), s.end(), text.begin());
  std::array<unsigned char, 16> bytes{};
  return inet_pton(AF_INET6, text.data(), bytes.data()) == 1;
}

// RFC 1123 §2.1 host names: labels of letters, digits and '-', not starting or
// ending with '-', at most 63 bytes each and 253 in all. '_' is also accepted
// because it occurs in real host names. A name whose last label is numeric is
// refused (RFC 3696 §2) so that "1.2.3" or "1.2.3.400" cannot pass as a name
// after failing as an IPv4 address. mDNS candidates (RFC 8839 §5.1,
// "<uuid>.local") fit this shape.
bool is_fqdn(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  std::string_view label;
  while (true) {
    const std::size_t dot = s.find('.', start);
    label = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    const bool ok = std::all_of(label.begin(), label.end(),
                                [](char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; });
    if (!ok) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !all_digits(label);
}

// RFC 8839 §5.1: connection-address is an IPv4 address, an IPv6 address or an
// FQDN.
bool is_connection_address(std::string_view s) { return is_ipv4(s) || is_ipv6(s) || is_fqdn(s); }

// RFC 8839 §5.1: foundation = 1*32 ice-char; ice-char = ALPHA / DIGIT / "+" / "/".
bool is_foundation(std::string_view s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '/'; });
}

Error candidate_error(std::string_view reason) { return Error{"candidate: " + std::string(reason)}; }

// Out-of-range indices (including negatives other than -1) resolve to the
// session level in every helper below, so find_all, remove_all and set_single
// always act on exactly the list attributes_at would return; a caller cannot
// be handed a reference to nothing.
template <typename S>
auto& level_attributes(S& s, int media_index) {
  if (media_index >= 0 && static_cast<std::size_t>(media_index) < s.media.size()) {
    return s.media[static_cast<std::size_t>(media_index)].attributes;
  }
  return s.attributes;
}

const Attribute* first_with_value(const std::vector<Attribute>& attrs, std::string_view name) {
  for (const auto& a : attrs) {
    if (a.name == name && a.value) return &a;
  }
  return nullptr;
}

bool has_named(const std::vector<Attribute>& attrs, std::string_view name) {
  return std::any_of(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == name; });
}

}  // namespace

Result<Session> parse(std::string_view text) {
  if (text.size() > kMaxInputBytes) {
    return Error{"input is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(kMaxInputBytes)};
  }
  if (text.empty()) return line_error(1, "empty input; expected 'v=0'");

  Session session;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (nl != std::string_view::npos && !line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (auto bad = find_control(line)) return line_error(line_no, *bad);

    // RFC 8866 §5.1: the description starts with v=0, and nothing else is
    // SDP; this also rejects a leading BOM or blank line.
    if (line_no == 1) {
      if (line != "v=0") return line_error(1, "expected 'v=0'");
      session.lines.push_back(Line{'v', "0"});
      continue;
    }

    // RFC 8866 §5: <type>=<value>, no whitespace around '='. Every type
    // defined so far is a lower-case letter.
    if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=') {
      return line_error(line_no, "expected '<type>=<value>'");
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    const bool in_media = !session.media.empty();

    switch (type) {
      case 'v': return line_error(line_no, "second v= line; v= only starts a description");
      case 'm': {
        auto media = parse_media_line(value);
        if (!media) return line_error(line_no, media.error().message);
        session.media.push_back(std::move(media).value());
        break;
      }
      case 'a': {
        auto attribute = parse_attribute(value);
        if (!attribute) return line_error(line_no, attribute.error().message);
        auto& attrs = in_media ? session.media.back().attributes : session.attributes;
        attrs.push_back(std::move(attribute).value());
        break;
      }
      default: {
        // Types this parser has no model for (and ones out of their RFC 8866
        // §5 place) are kept verbatim so a rewrite does not drop them.
        auto& lines = in_media ? session.media.back().lines : session.lines;
        lines.push_back(Line{type, std::string(value)});
        break;
      }
    }
  }
  return session;
}

// Each level is written as its lines then its attributes. The model does not
// record how a= lines were interleaved with other lines of the same level, so
// that interleaving is normalised to RFC 8866 §5 order (attributes last); the
// parsed model itself round-trips exactly.
std::string write(const Session& session) {
  std::string out;
  const auto put_lines = [&out](const std::vector<Line>& lines) {
    for (const auto& l : lines) {
      out += l.type;
      out += '=';
      out += l.text;
      out += "\r\n";
    }
  };
  const auto put_attributes = [&out](const std::vector<Attribute>& attrs) {
    for (const auto& a : attrs) {
      out += "a=";
      out += a.name;
      if (a.value) {
        out += ':';
        out += *a.value;
      }
      out += "\r\n";
    }
  };

  put_lines(session.lines);
  put_attributes(session.attributes);
  for (const auto& m : session.media) {
    out += "m=" + m.media + " " + std::to_string(m.port) + " " + m.proto;
    for (const auto& f : m.formats) out += " " + f;
    out += "\r\n";
    put_lines(m.lines);
    put_attributes(m.attributes);
  }
  return out;
}

// RFC 8122 §5: fingerprint = hash-func SP 2UHEX *(":" 2UHEX). Lower-case hex
// is accepted as well because implementations send it; the hash length is not
// checked against the hash function, which is for the caller to judge.
Result<Fingerprint> parse_fingerprint(std::string_view attribute_value) {
  const std::size_t sp = attribute_value.find(' ');
  if (sp == std::string_view::npos) return Error{"fingerprint: expected '<hash-func> <hex>:<hex>:...'"};
  const std::string_view hash = attribute_value.substr(0, sp);
  const std::string_view value = attribute_value.substr(sp + 1);
  if (!is_token(hash)) return Error{"fingerprint: hash function " + quoted(hash) + " is not a token"};
  if (value.size() < 2 || (value.size() + 1) % 3 != 0) {
    return Error{"fingerprint: " + quoted(value) + " is not hex pairs separated by ':'"};
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const bool ok = i % 3 == 2 ? value[i] == ':' : is_hex(value[i]);
    if (!ok) return Error{"fingerprint: " + quoted(value) + " is not hex pairs separated by ':'"};
  }
  return Fingerprint{std::string(hash), std::string(value)};
}

std::string format_fingerprint(const Fingerprint& fp) { return fp.hash + " " + fp.value; }

std::string format_fingerprint(const std::optional<Fingerprint>& fp) { return fp ? format_fingerprint(*fp) : ""; }

namespace {
std::string lower_case(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

bool operator==(const Fingerprint& a, const Fingerprint& b) { return (a <=> b) == 0; }

std::strong_ordering operator<=>(const Fingerprint& a, const Fingerprint& b) {
  if (auto c = lower_case(a.hash) <=> lower_case(b.hash); c != 0) return c;
  return lower_case(a.value) <=> lower_case(b.value);
}

// RFC 8839 §5.1 candidate-attribute, with the numeric ranges its prose gives.
Result<Candidate> parse_candidate(std::string_view attribute_value) {
  constexpr std::string_view kPrefix = "candidate:";
  if (attribute_value.substr(0, kPrefix.size()) == kPrefix) attribute_value.remove_prefix(kPrefix.size());

  const auto f = split_sp(attribute_value);
  if (has_empty_field(f)) return candidate_error("fields must be separated by single spaces");
  if (f.size() < 8) {
    return candidate_error("expected '<foundation> <component> <transport> <priority> <address> <port> typ <type>'");
  }

  Candidate c;
  if (!is_foundation(f[0])) return candidate_error("foundation " + quoted(f[0]) + " is not 1-32 of [A-Za-z0-9+/]");
  c.foundation = std::string(f[0]);

  const auto component = parse_decimal(f[1], 1, 256);
  if (!component) return candidate_error("component " + quoted(f[1]) + " is not a number in 1..256");
  c.component = static_cast<std::uint32_t>(*component);

  if (!is_token(f[2])) return candidate_error("transport " + quoted(f[2]) + " is not a token");
  c.transport = std::string(f[2]);

  const auto priority = parse_decimal(f[3], 1, 0x7fffffff);
  if (!priority) return candidate_error("priority " + quoted(f[3]) + " is not a number in 1..2147483647");
  c.priority = static_cast<std::uint32_t>(*priority);

  if (!is_connection_address(f[4])) {
    return candidate_error("address " + quoted(f[4]) + " is not an IPv4/IPv6 address or host name");
  }
  c.address = std::string(f[4]);

  const auto port = parse_decimal(f[5], 0, 65535);
  if (!port) return candidate_error("port " + quoted(f[5]) + " is not a number in 0..65535");
  c.port = static_cast<std::uint16_t>(*port);

  if (!iequals(f[6], "typ")) return candidate_error("expected 'typ' after the port, got " + quoted(f[6]));
  if (!is_token(f[7])) return candidate_error("candidate type " + quoted(f[7]) + " is not a token");
  c.type = std::string(f[7]);

  std::size_t i = 8;
  if (i < f.size() && iequals(f[i], "raddr")) {
    if (i + 1 >= f.size()) return candidate_error("raddr has no address");
    if (!is_connection_address(f[i + 1])) {
      return candidate_error("raddr " + quoted(f[i + 1]) + " is not an IPv4/IPv6 address or host name");
    }
    c.related_address = std::string(f[i + 1]);
    i += 2;
  }
  if (i < f.size() && iequals(f[i], "rport")) {
    if (i + 1 >= f.size()) return candidate_error("rport has no port");
    const auto rport = parse_decimal(f[i + 1], 0, 65535);
    if (!rport) return candidate_error("rport " + quoted(f[i + 1]) + " is not a number in 0..65535");
    c.related_port = static_cast<std::uint16_t>(*rport);
    i += 2;
  }

  // RFC 8839 §5.1: *(SP extension-att-name SP extension-att-value). The
  // grammar keywords cannot be extension names: "rport 1 raddr x" would
  // otherwise read as an extension and change meaning when re-formatted.
  for (; i < f.size(); i += 2) {
    const std::string_view name = f[i];
    if (iequals(name, "typ") || iequals(name, "raddr") || iequals(name, "rport")) {
      return candidate_error(quoted(name) + " is out of place");
    }
    if (!is_token(name)) return candidate_error("extension name " + quoted(name) + " is not a token");
    if (i + 1 >= f.size()) return candidate_error("extension " + quoted(name) + " has no value");
    const std::string_view value = f[i + 1];
    const bool visible =
        std::all_of(value.begin(), value.end(), [](char ch) { return is_vchar(static_cast<unsigned char>(ch)); });
    if (!visible) return candidate_error("extension " + quoted(name) + " value is not visible ASCII");
    c.extensions.emplace_back(std::string(name), std::string(value));
  }
  return c;
}

std::string format_candidate(const Candidate& c) {
  std::string out = c.foundation + " " + std::to_string(c.component) + " " + c.transport + " " +
                    std::to_string(c.priority) + " " + c.address + " " + std::to_string(c.port) + " typ " + c.type;
  if (c.related_address) out += " raddr " + *c.related_address;
  if (c.related_port) out += " rport " + std::to_string(*c.related_port);
  for (const auto& [name, value] : c.extensions) out += " " + name + " " + value;
  return out;
}

// ice-ufrag/ice-pwd (RFC 8839 §5.4) and setup (RFC 4145 §4) may appear at
// either level with the media level overriding; a duplicate at one level is
// resolved to the first occurrence, and a valueless flag counts as absent.
// Fingerprints (RFC 8122 §5) and candidates come wholly from one level: the
// first media section if it has any such attribute, valid or not, else the
// session level. A broken media-level fingerprint therefore yields no
// fingerprint rather than silently promoting a session-level one. mid (RFC
// 5888 §4) is media-level only. end-of-candidates (RFC 8840) applies at
// either level.
TransportInfo transport_info(const Session& s) {
  TransportInfo info;
  const std::vector<Attribute>* media = s.media.empty() ? nullptr : &s.media.front().attributes;

  const auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    if (media) {
      if (const Attribute* a = first_with_value(*media, name)) return *a->value;
    }
    if (const Attribute* a = first_with_value(s.attributes, name)) return *a->value;
    return std::nullopt;
  };
  const auto level_for = [&](std::string_view name) -> const std::vector<Attribute>& {
    return media && has_named(*media, name) ? *media : s.attributes;
  };

  info.ice_ufrag = lookup("ice-ufrag");
  info.ice_pwd = lookup("ice-pwd");
  info.setup = lookup("setup");

  for (const auto& a : level_for("fingerprint")) {
    if (a.name != "fingerprint" || !a.value) continue;
    if (auto fp = parse_fingerprint(*a.value)) info.fingerprints.push_back(std::move(fp).value());
  }
  for (const auto& a : level_for("candidate")) {
    if (a.name != "candidate") continue;
    const std::string raw = a.value.value_or("");
    if (auto c = parse_candidate(raw)) {
      info.candidates.push_back(std::move(c).value());
    } else {
      info.bad_candidates.push_back(raw);
    }
  }

  info.end_of_candidates =
      (media && has_named(*media, "end-of-candidates")) || has_named(s.attributes, "end-of-candidates");
  if (media) {
    if (const Attribute* a = first_with_value(*media, "mid")) info.mid = *a->value;
  }
  return info;
}

std::vector<Attribute>& attributes_at(Session& s, int media_index) { return level_attributes(s, media_index); }

std::vector<const Attribute*> find_all(const Session& s, int media_index, std::string_view name) {
  std::vector<const Attribute*> out;
  for (const auto& a : level_attributes(s, media_index)) {
    if (a.name == name) out.push_back(&a);
  }
  return out;
}

void remove_all(Session& s, int media_index, std::string_view name) {
  auto& attrs = level_attributes(s, media_index);
  std::erase_if(attrs, [&](const Attribute& a) { return a.name == name; });
}

// The first match is replaced in place so the rewritten SDP differs from the
// original only in that value (and in dropped duplicates).
void set_single(Session& s, int media_index, std::string_view name, std::string value) {
  auto& attrs = level_attributes(s, media_index);
  const auto first = std::find_if(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == name; });
  if (first == attrs.end()) {
    attrs.push_back(Attribute{std::string(name), std::move(value)});
    return;
  }
  first->value = std::move(value);
  const auto keep = static_cast<std::ptrdiff_t>(first - attrs.begin()) + 1;
  attrs.erase(std::remove_if(attrs.begin() + keep, attrs.end(), [&](const Attribute& a) { return a.name == name; }),
              attrs.end());
}

// The layout Chromium produces for a data-channel-only offer (RFC 8841 for the
// m= line, sctp-port and max-message-size; RFC 8829 for the rest).
Session make_data_channel(const DataChannelDescription& d) {
  Session s;
  s.lines = {
      Line{'v', "0"},
      Line{'o', "- " + std::to_string(d.session_id) + " 2 IN IP4 127.0.0.1"},
      Line{'s', "-"},
      Line{'t', "0 0"},
  };
  s.attributes = {
      Attribute{"group", d.audio ? "BUNDLE 0 1" : "BUNDLE 0"},
      Attribute{"extmap-allow-mixed", std::nullopt},
      Attribute{"msid-semantic", " WMS"},
  };

  Media m;
  m.media = "application";
  m.port = 9;
  m.proto = "UDP/DTLS/SCTP";
  m.formats = {"webrtc-datachannel"};
  m.lines = {Line{'c', "IN IP4 0.0.0.0"}};
  m.attributes = {
      Attribute{"ice-ufrag", d.ice_ufrag},
      Attribute{"ice-pwd", d.ice_pwd},
      Attribute{"ice-options", "trickle"},
  };
  for (const auto& fp : d.fingerprints) m.attributes.push_back(Attribute{"fingerprint", format_fingerprint(fp)});
  m.attributes.push_back(Attribute{"setup", d.setup});
  m.attributes.push_back(Attribute{"mid", "0"});
  m.attributes.push_back(Attribute{"sctp-port", "5000"});
  m.attributes.push_back(Attribute{"max-message-size", "262144"});
  for (const auto& c : d.candidates) m.attributes.push_back(Attribute{"candidate", format_candidate(c)});
  m.attributes.push_back(Attribute{"end-of-candidates", std::nullopt});
  s.media.push_back(std::move(m));
  if (!d.audio) return s;

  // RFC 8843 §7: a bundled section repeats the transport attributes (one
  // ICE and DTLS association carries both); RFC 8858: RTP and RTCP share it.
  const std::string pt = std::to_string(d.audio_payload_type);
  Media a;
  a.media = "audio";
  a.port = 9;
  a.proto = "UDP/TLS/RTP/SAVPF";
  a.formats = {pt};
  a.lines = {Line{'c', "IN IP4 0.0.0.0"}};
  a.attributes = {Attribute{"ice-ufrag", d.ice_ufrag}, Attribute{"ice-pwd", d.ice_pwd},
                  Attribute{"ice-options", "trickle"}};
  for (const auto& fp : d.fingerprints) a.attributes.push_back(Attribute{"fingerprint", format_fingerprint(fp)});
  a.attributes.push_back(Attribute{"setup", d.setup});
  a.attributes.push_back(Attribute{"mid", "1"});
  a.attributes.push_back(Attribute{"sendrecv", std::nullopt});
  a.attributes.push_back(Attribute{"rtcp-mux", std::nullopt});
  a.attributes.push_back(Attribute{"rtpmap", pt + " opus/48000/2"});
  s.media.push_back(std::move(a));
  return s;
}

}  // namespace sigtrust::sdp
