#include "core/sdp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace sigtrust::sdp {
namespace {

using namespace std::string_literals;

std::string load_fixture(const std::string& name) {
  const std::string path = std::string(SIGTRUST_TEST_DATA) + "/sdp/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Fixtures are stored with CRLF; a checkout that converted them to LF must
// still compare equal to what write() produces.
std::string with_crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    lines.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 2;
  }
  return lines;
}

Session parse_ok(std::string_view text) {
  auto r = parse(text);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r.value() : Session{};
}

// The property the header promises: whatever parses, survives write+parse.
void expect_round_trip(const Session& s) {
  const std::string text = write(s);
  auto again = parse(text);
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_EQ(again.value(), s) << text;
}

const char* const kMinimal =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n";

// ----- parse / write ---------------------------------------------------------

TEST(Sdp, ParsesMinimalSessionIntoLevels) {
  const Session s = parse_ok(kMinimal);
  ASSERT_EQ(s.lines.size(), 4u);
  EXPECT_EQ(s.lines[0], (Line{'v', "0"}));
  EXPECT_EQ(s.lines[1], (Line{'o', "- 1 2 IN IP4 127.0.0.1"}));
  EXPECT_EQ(s.lines[2], (Line{'s', "-"}));
  EXPECT_EQ(s.lines[3], (Line{'t', "0 0"}));
  ASSERT_EQ(s.attributes.size(), 1u);
  EXPECT_EQ(s.attributes[0], (Attribute{"group", "BUNDLE 0"}));
  ASSERT_EQ(s.media.size(), 1u);
  const Media& m = s.media[0];
  EXPECT_EQ(m.media, "application");
  EXPECT_EQ(m.port, 9);
  EXPECT_EQ(m.proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(m.formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(m.lines, std::vector<Line>{(Line{'c', "IN IP4 0.0.0.0"})});
  EXPECT_EQ(m.attributes, (std::vector<Attribute>{{"mid", "0"}, {"sctp-port", "5000"}}));
}

TEST(Sdp, WriteReproducesCanonicalTextExactly) { EXPECT_EQ(write(parse_ok(kMinimal)), kMinimal); }

TEST(Sdp, AcceptsLfLineEndings) {
  std::string lf = kMinimal;
  std::erase(lf, '\r');
  EXPECT_EQ(parse_ok(lf), parse_ok(kMinimal));
}

TEST(Sdp, AcceptsMissingFinalNewline) {
  std::string text = kMinimal;
  text.resize(text.size() - 2);
  EXPECT_EQ(parse_ok(text), parse_ok(kMinimal));
  text.pop_back();  // drop the '0' of sctp-port as well: still just a shorter value
  EXPECT_EQ(parse_ok(text).media[0].attributes.back(), (Attribute{"sctp-port", "500"}));
}

TEST(Sdp, AcceptsMixedLineEndings) {
  const Session s = parse_ok("v=0\ns=-\r\nt=0 0\na=x:y\r\nm=application 9 P f\nc=IN IP4 0.0.0.0");
  EXPECT_EQ(s.lines.size(), 3u);
  EXPECT_EQ(s.media.at(0).lines.at(0), (Line{'c', "IN IP4 0.0.0.0"}));
}

TEST(Sdp, WriteEmitsCrlfOnly) {
  const std::string text = write(parse_ok("v=0\ns=-\nm=application 9 P f\na=x\n"));
  EXPECT_EQ(text, "v=0\r\ns=-\r\nm=application 9 P f\r\na=x\r\n");
}

TEST(Sdp, KeepsUnknownLinesAndAttributesVerbatimInOrder) {
  const std::string text =
      "v=0\r\n"
      "o=- 1 2 IN IP4 127.0.0.1\r\n"
      "s=Some  Session\r\n"
      "u=http://example.invalid/\r\n"
      "x=future line type\r\n"
      "a=zzz-unknown:  spaced  value \r\n"
      "a=aaa-flag\r\n"
      "a=zzz-unknown:second\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "i=media title\r\n"
      "b=AS:30\r\n"
      "q=unknown media line\r\n"
      "a=x-custom:1 2 3\r\n"
      "a=x-flag\r\n";
  const Session s = parse_ok(text);
  EXPECT_EQ(s.lines.at(4), (Line{'x', "future line type"}));
  EXPECT_EQ(s.attributes,
            (std::vector<Attribute>{
                {"zzz-unknown", "  spaced  value "}, {"aaa-flag", std::nullopt}, {"zzz-unknown", "second"}}));
  EXPECT_EQ(s.media.at(0).lines,
            (std::vector<Line>{{'i', "media title"}, {'b', "AS:30"}, {'q', "unknown media line"}}));
  EXPECT_EQ(write(s), text);
  expect_round_trip(s);
}

TEST(Sdp, DistinguishesFlagFromEmptyValue) {
  const Session s = parse_ok("v=0\r\na=flag\r\na=empty:\r\n");
  EXPECT_EQ(s.attributes.at(0), (Attribute{"flag", std::nullopt}));
  EXPECT_EQ(s.attributes.at(1), (Attribute{"empty", ""}));
  EXPECT_EQ(write(s), "v=0\r\na=flag\r\na=empty:\r\n");
}

TEST(Sdp, AttributeSplitsAtFirstColonOnly) {
  const Session s = parse_ok("v=0\r\na=msid-semantic: WMS\r\na=fingerprint:sha-1 AB:CD\r\na=x::\r\n");
  EXPECT_EQ(s.attributes.at(0), (Attribute{"msid-semantic", " WMS"}));
  EXPECT_EQ(s.attributes.at(1), (Attribute{"fingerprint", "sha-1 AB:CD"}));
  EXPECT_EQ(s.attributes.at(2), (Attribute{"x", ":"}));
  expect_round_trip(s);
}

TEST(Sdp, AllowsTabAndNonAsciiInFreeText) {
  const Session s = parse_ok("v=0\r\ns=caf\xc3\xa9\tbar\r\na=x:\t1\r\n");
  EXPECT_EQ(s.lines.at(1).text, "caf\xc3\xa9\tbar");
  EXPECT_EQ(s.attributes.at(0).value, "\t1");
  expect_round_trip(s);
}

TEST(Sdp, EmptyValuesOfOrdinaryLinesAreKept) {
  const Session s = parse_ok("v=0\r\ns=\r\n");
  EXPECT_EQ(s.lines.at(1), (Line{'s', ""}));
  expect_round_trip(s);
}

TEST(Sdp, MediaLineFields) {
  const Session s = parse_ok(
      "v=0\r\n"
      "m=audio 0 RTP/AVP 0 8 101\r\n"
      "m=video 65535 UDP/TLS/RTP/SAVPF 96\r\n"
      "m=audio 49170/2 RTP/AVP 31\r\n"
      "m=application 0009 UDP/DTLS/SCTP webrtc-datachannel\r\n");
  ASSERT_EQ(s.media.size(), 4u);
  EXPECT_EQ(s.media[0].port, 0);
  EXPECT_EQ(s.media[0].formats, (std::vector<std::string>{"0", "8", "101"}));
  EXPECT_EQ(s.media[1].port, 65535);
  EXPECT_EQ(s.media[1].proto, "UDP/TLS/RTP/SAVPF");
  // The port count is validated but Media has nowhere to keep it.
  EXPECT_EQ(s.media[2].port, 49170);
  EXPECT_EQ(s.media[3].port, 9);
  expect_round_trip(s);
}

TEST(Sdp, LinesAfterEachMediaLineBelongToThatSection) {
  const Session s = parse_ok(
      "v=0\r\n"
      "a=s\r\n"
      "m=audio 1 RTP/AVP 0\r\n"
      "c=IN IP4 192.0.2.1\r\n"
      "a=one\r\n"
      "m=application 2 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "c=IN IP4 192.0.2.2\r\n"
      "a=two\r\n");
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_EQ(s.attributes, std::vector<Attribute>{(Attribute{"s", std::nullopt})});
  EXPECT_EQ(s.media[0].lines.at(0).text, "IN IP4 192.0.2.1");
  EXPECT_EQ(s.media[0].attributes, std::vector<Attribute>{(Attribute{"one", std::nullopt})});
  EXPECT_EQ(s.media[1].lines.at(0).text, "IN IP4 192.0.2.2");
  EXPECT_EQ(s.media[1].attributes, std::vector<Attribute>{(Attribute{"two", std::nullopt})});
}

TEST(Sdp, InterleavedAttributesAreWrittenLastButModelRoundTrips) {
  const Session s = parse_ok("v=0\r\na=first\r\ns=-\r\nm=a 1 P f\r\na=x\r\nc=IN IP4 0.0.0.0\r\n");
  EXPECT_EQ(write(s), "v=0\r\ns=-\r\na=first\r\nm=a 1 P f\r\nc=IN IP4 0.0.0.0\r\na=x\r\n");
  expect_round_trip(s);
}

TEST(Sdp, SizeLimitIs64KiB) {
  const std::string head = "v=0\r\na=pad:";
  std::string text = head + std::string(64 * 1024 - head.size() - 2, 'x') + "\r\n";
  ASSERT_EQ(text.size(), 64u * 1024u);
  EXPECT_TRUE(parse(text).ok());
  text.insert(head.size(), "x");
  const auto r = parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("65537"), std::string::npos) << r.error().message;
}

// ----- malformed input -----------------------------------------------------

struct Malformed {
  const char* name;
  std::string text;
  int line;
  const char* reason;  // substring of the message after "line N: "
};

void PrintTo(const Malformed& m, std::ostream* os) { *os << m.name; }

class SdpMalformed : public testing::TestWithParam<Malformed> {};

TEST_P(SdpMalformed, RejectedWithLineNumber) {
  const Malformed& c = GetParam();
  const auto r = parse(c.text);
  ASSERT_FALSE(r.ok()) << write(r.value());
  const std::string prefix = "line " + std::to_string(c.line) + ": ";
  EXPECT_EQ(r.error().message.rfind(prefix, 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find(c.reason), std::string::npos) << r.error().message;
}

const std::string kHead = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";  // lines 1-4

INSTANTIATE_TEST_SUITE_P(
    Sdp, SdpMalformed,
    testing::Values(
        Malformed{"empty", "", 1, "empty input"},
        Malformed{"first_line_not_version", "o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n", 1, "expected 'v=0'"},
        Malformed{"version_1", "v=1\r\n", 1, "expected 'v=0'"},
        Malformed{"version_trailing_space", "v=0 \r\n", 1, "expected 'v=0'"},
        Malformed{"version_leading_space", " v=0\r\n", 1, "expected 'v=0'"},
        Malformed{"byte_order_mark", "\xef\xbb\xbfv=0\r\n", 1, "expected 'v=0'"},
        Malformed{"leading_blank_line", "\r\nv=0\r\n", 1, "expected 'v=0'"},
        Malformed{"newline_only", "\n", 1, "expected 'v=0'"},
        Malformed{"blank_line_inside", kHead + "\r\na=x\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"trailing_blank_line", kHead + "\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"uppercase_type", kHead + "A=x\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"digit_type", kHead + "1=x\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"no_equals", kHead + "s-\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"space_before_equals", kHead + "s =-\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"two_letter_type", kHead + "ss=x\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"type_only", kHead + "s", 5, "expected '<type>=<value>'"},
        Malformed{"equals_only", kHead + "=x\r\n", 5, "expected '<type>=<value>'"},
        Malformed{"nul", kHead + "i=a\0b\r\n"s, 5, "NUL"}, Malformed{"nul_in_version", "v=0\0\r\n"s, 1, "NUL"},
        Malformed{"control_0x01", kHead + "i=a\x01\r\n", 5, "control character 0x01"},
        Malformed{"escape", kHead + "a=x:\x1b[31m\r\n", 5, "control character 0x1b"},
        Malformed{"delete", kHead + "a=x:\x7f\r\n", 5, "control character 0x7f"},
        Malformed{"vertical_tab", kHead + "a=x:\v\r\n", 5, "control character 0x0b"},
        Malformed{"lone_cr_joins_lines", kHead + "a=x\ra=y\r\n", 5, "CR not followed by LF"},
        Malformed{"cr_at_end_of_input", kHead + "a=x\r", 5, "CR not followed by LF"},
        Malformed{"double_cr", kHead + "a=x\r\r\n", 5, "CR not followed by LF"},
        Malformed{"second_version", kHead + "v=0\r\n", 5, "second v="},
        Malformed{"empty_attribute", kHead + "a=\r\n", 5, "attribute name is empty"},
        Malformed{"empty_attribute_name", kHead + "a=:value\r\n", 5, "attribute name is empty"},
        Malformed{"media_empty", kHead + "m=\r\n", 5, "m= needs"},
        Malformed{"media_no_port", kHead + "m=application\r\n", 5, "m= needs"},
        Malformed{"media_no_proto", kHead + "m=application 9\r\n", 5, "m= needs"},
        Malformed{"media_no_format", kHead + "m=application 9 UDP/DTLS/SCTP\r\n", 5, "m= needs"},
        Malformed{"media_trailing_space", kHead + "m=application 9 UDP/DTLS/SCTP \r\n", 5, "single spaces"},
        Malformed{"media_double_space", kHead + "m=application  9 UDP/DTLS/SCTP x\r\n", 5, "single spaces"},
        Malformed{"media_tab_separated", kHead + "m=application\t9\tUDP/DTLS/SCTP\tx\r\n", 5, "m= needs"},
        Malformed{"media_port_alpha", kHead + "m=application nine UDP/DTLS/SCTP x\r\n", 5, "m= port 'nine'"},
        Malformed{"media_port_negative", kHead + "m=application -1 UDP/DTLS/SCTP x\r\n", 5, "m= port '-1'"},
        Malformed{"media_port_plus", kHead + "m=application +9 UDP/DTLS/SCTP x\r\n", 5, "m= port '+9'"},
        Malformed{"media_port_65536", kHead + "m=application 65536 UDP/DTLS/SCTP x\r\n", 5, "0..65535"},
        Malformed{"media_port_huge", kHead + "m=application 99999999999999999999 P x\r\n", 5, "0..65535"},
        Malformed{"media_port_hex", kHead + "m=application 0x10 UDP/DTLS/SCTP x\r\n", 5, "m= port"},
        Malformed{"media_port_count_empty", kHead + "m=audio 9/ RTP/AVP 0\r\n", 5, "port count"},
        Malformed{"media_port_count_zero", kHead + "m=audio 9/0 RTP/AVP 0\r\n", 5, "port count"},
        Malformed{"media_port_count_alpha", kHead + "m=audio 9/x RTP/AVP 0\r\n", 5, "port count"},
        Malformed{"media_port_empty_before_count", kHead + "m=audio /2 RTP/AVP 0\r\n", 5, "m= port ''"},
        Malformed{"media_proto_empty_part", kHead + "m=application 9 UDP//SCTP x\r\n", 5, "m= proto"},
        Malformed{"media_proto_trailing_slash", kHead + "m=application 9 UDP/ x\r\n", 5, "m= proto"},
        Malformed{"media_name_not_token", kHead + "m=app(lication) 9 UDP x\r\n", 5, "m= media"},
        Malformed{"media_format_not_token", kHead + "m=application 9 UDP a\"b\r\n", 5, "m= format"},
        Malformed{"error_inside_media_section", kHead + "m=application 9 P f\r\nc=IN IP4 0.0.0.0\r\nB=x\r\n", 7,
                  "expected '<type>=<value>'"},
        Malformed{"lf_only_line_count", "v=0\no=-\ns=-\nt=0 0\na=x\nm=application 9 P f\nbad\n", 7,
                  "expected '<type>=<value>'"},
        Malformed{"mixed_endings_line_count", "v=0\r\no=-\ns=-\r\nt=0 0\n\n", 5, "expected '<type>=<value>'"}),
    [](const testing::TestParamInfo<Malformed>& param_info) { return std::string(param_info.param.name); });

TEST(Sdp, ErrorInARealOfferNamesItsLine) {
  std::string text = with_crlf(load_fixture("chromium-offer.sdp"));
  const std::size_t at = text.find("a=msid-semantic");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, 2);
  const auto r = parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "line 7: expected '<type>=<value>'");
}

TEST(Sdp, OversizeInputIsAnErrorNotACrash) {
  const auto r = parse(std::string(1 << 20, 'v'));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("limit"), std::string::npos);
}

// A cheap stand-in for the fuzzer: every single-byte edit, deletion and
// truncation of a real offer either fails cleanly or round-trips.
TEST(Sdp, EditsOfARealOfferFailCleanlyOrRoundTrip) {
  const std::string base = with_crlf(load_fixture("chromium-offer.sdp"));
  ASSERT_FALSE(base.empty());
  const std::string replacements("\0\r\n \t:=/aZ9\x7f\xff"s);
  int parsed = 0;
  const auto check = [&](const std::string& text) {
    const auto r = parse(text);
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.rfind("line ", 0), 0u) << r.error().message;
      return;
    }
    ++parsed;
    expect_round_trip(r.value());
    (void)transport_info(r.value());
  };
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (const char c : replacements) {
      std::string t = base;
      t[i] = c;
      check(t);
    }
    std::string deleted = base;
    deleted.erase(i, 1);
    check(deleted);
    check(base.substr(0, i));
  }
  EXPECT_GT(parsed, 1000);
}

TEST(Sdp, RandomInputFailsCleanlyOrRoundTrips) {
  std::mt19937 rng(20240611);
  const std::string alphabet("v=0amcstio \r\n\t:/-.19AZ\0\x80"s);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 200);
  for (int n = 0; n < 5000; ++n) {
    std::string text = n % 2 ? "v=0\r\n" : "";
    const std::size_t len = length(rng);
    for (std::size_t i = 0; i < len; ++i) text += alphabet[pick(rng)];
    const auto r = parse(text);
    if (r.ok()) {
      expect_round_trip(r.value());
      (void)transport_info(r.value());
    }
  }
}

// ----- fixtures ------------------------------------------------------------

TEST(Sdp, ChromiumOfferRoundTripsByteForByte) {
  const std::string text = with_crlf(load_fixture("chromium-offer.sdp"));
  const Session s = parse_ok(text);
  EXPECT_EQ(write(s), text);
  expect_round_trip(s);
  EXPECT_EQ(s.attributes, (std::vector<Attribute>{
                              {"group", "BUNDLE 0"}, {"extmap-allow-mixed", std::nullopt}, {"msid-semantic", " WMS"}}));
  ASSERT_EQ(s.media.size(), 1u);
  EXPECT_EQ(s.media[0].port, 50712);
}

TEST(Sdp, ChromiumOfferTransportInfoIsMediaLevel) {
  const TransportInfo t = transport_info(parse_ok(load_fixture("chromium-offer.sdp")));
  EXPECT_EQ(t.ice_ufrag, "Xq3b");
  EXPECT_EQ(t.ice_pwd, "8kBz0g3Qh1cV7mN2pL5tR9wY");
  EXPECT_EQ(t.setup, "actpass");
  EXPECT_EQ(t.mid, "0");
  EXPECT_FALSE(t.end_of_candidates);
  ASSERT_EQ(t.fingerprints.size(), 1u);
  EXPECT_EQ(t.fingerprints[0].hash, "sha-256");
  EXPECT_EQ(t.fingerprints[0].value,
            "6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08");
  EXPECT_TRUE(t.bad_candidates.empty());
  ASSERT_EQ(t.candidates.size(), 4u);

  const Candidate& mdns = t.candidates[0];
  EXPECT_EQ(mdns.address, "3f0c1b1a-7b2e-4a7e-9c1d-2d6f0b7d8e9a.local");
  EXPECT_EQ(mdns.transport, "udp");
  EXPECT_EQ(mdns.priority, 2122260223u);
  EXPECT_EQ(mdns.extensions, (std::vector<std::pair<std::string, std::string>>{
                                 {"generation", "0"}, {"network-id", "1"}, {"network-cost", "10"}}));
  EXPECT_EQ(t.candidates[1].port, 9);
  EXPECT_EQ(t.candidates[1].extensions.at(0), (std::pair<std::string, std::string>{"tcptype", "active"}));
  EXPECT_EQ(t.candidates[2].address, "2001:db8:85a3::8a2e:370:7334");
  const Candidate& srflx = t.candidates[3];
  EXPECT_EQ(srflx.type, "srflx");
  EXPECT_EQ(srflx.related_address, "0.0.0.0");
  EXPECT_EQ(srflx.related_port, 0);
}

TEST(Sdp, FirefoxOfferRoundTripsByteForByte) {
  const std::string text = with_crlf(load_fixture("firefox-offer.sdp"));
  const Session s = parse_ok(text);
  EXPECT_EQ(write(s), text);
  expect_round_trip(s);
  EXPECT_EQ(s.lines.at(1).text, "mozilla...THIS_IS_SDPARTA-99.0 3120348365463473447 0 IN IP4 0.0.0.0");
}

TEST(Sdp, FirefoxOfferFingerprintFallsBackToSessionLevel) {
  const Session s = parse_ok(load_fixture("firefox-offer.sdp"));
  ASSERT_TRUE(find_all(s, 0, "fingerprint").empty());
  const TransportInfo t = transport_info(s);
  ASSERT_EQ(t.fingerprints.size(), 1u);
  EXPECT_EQ(t.fingerprints[0].value,
            "1F:3C:9A:7E:52:B4:0D:E8:66:21:AF:93:C5:08:7B:4D:E2:19:F6:30:8A:CD:57:12:B9:64:0E:F1:A3:2D:7C:85");
  EXPECT_EQ(t.ice_ufrag, "7a3f9c21");
  EXPECT_EQ(t.ice_pwd, "4c2b1a0f9e8d7c6b5a49382716051f2e");
  EXPECT_EQ(t.setup, "actpass");
  EXPECT_EQ(t.mid, "0");
  EXPECT_TRUE(t.end_of_candidates);
  ASSERT_EQ(t.candidates.size(), 3u);
  EXPECT_EQ(t.candidates[0].transport, "UDP");
  EXPECT_TRUE(t.candidates[0].extensions.empty());
  EXPECT_EQ(t.candidates[1].transport, "TCP");
  EXPECT_EQ(t.candidates[2].related_address, "192.168.1.23");
  EXPECT_EQ(t.candidates[2].related_port, 54609);
}

// ----- fingerprint ---------------------------------------------------------

TEST(Sdp, FingerprintParsesHashAndValue) {
  const auto fp = parse_fingerprint("sha-256 AB:CD:EF:01:23:45:67:89");
  ASSERT_TRUE(fp.ok()) << fp.error().message;
  EXPECT_EQ(fp->hash, "sha-256");
  EXPECT_EQ(fp->value, "AB:CD:EF:01:23:45:67:89");
  EXPECT_EQ(format_fingerprint(*fp), "sha-256 AB:CD:EF:01:23:45:67:89");
}

TEST(Sdp, FingerprintKeepsCaseAsWritten) {
  const auto fp = parse_fingerprint("SHA-256 ab:Cd:eF");
  ASSERT_TRUE(fp.ok()) << fp.error().message;
  EXPECT_EQ(fp->hash, "SHA-256");
  EXPECT_EQ(fp->value, "ab:Cd:eF");
}

TEST(Sdp, FingerprintLengthIsNotTiedToHash) {
  EXPECT_TRUE(parse_fingerprint("sha-256 AB").ok());
  EXPECT_TRUE(parse_fingerprint("x-unknown-hash 00:11").ok());
  const std::string sha512 = "sha-512 " + [] {
    std::string v;
    for (int i = 0; i < 64; ++i) v += i ? ":7F" : "7F";
    return v;
  }();
  EXPECT_TRUE(parse_fingerprint(sha512).ok());
}

TEST(Sdp, FingerprintFormatThenParseIsIdentity) {
  const Fingerprint fp{"sha-1", "00:FF:10:aa"};
  const auto again = parse_fingerprint(format_fingerprint(fp));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->hash, fp.hash);
  EXPECT_EQ(again->value, fp.value);
}

TEST(Sdp, FingerprintsAreEqualWhenHashAndDigestAreIgnoringCase) {
  const Fingerprint fp{"sha-256", "AB:CD"};
  EXPECT_EQ(fp, (Fingerprint{"SHA-256", "ab:cd"}));
  EXPECT_EQ(fp, (Fingerprint{"Sha-256", "aB:Cd"}));
  EXPECT_NE(fp, (Fingerprint{"sha-1", "AB:CD"})) << "another hash function";
  EXPECT_NE(fp, (Fingerprint{"sha-256", "AB:CE"})) << "another digest";
  EXPECT_NE(fp, (Fingerprint{"sha-256", "AB:CD:EF"}));
}

TEST(Sdp, FingerprintOrderAgreesWithEquality) {
  std::map<Fingerprint, std::string> owners;
  owners.emplace(Fingerprint{"sha-256", "AB:CD"}, "bob");
  EXPECT_FALSE(owners.emplace(Fingerprint{"SHA-256", "ab:cd"}, "mallory").second) << "the same key in other case";
  owners.emplace(Fingerprint{"sha-256", "AB:CE"}, "carol");
  owners.emplace(Fingerprint{"sha-1", "AB:CD"}, "dave");
  EXPECT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners.at(Fingerprint{"sha-256", "ab:cd"}), "bob");
  EXPECT_LT((Fingerprint{"sha-1", "FF"}), (Fingerprint{"SHA-256", "00"})) << "by hash name first, ignoring case";
}

TEST(Sdp, NoFingerprintFormatsAsEmpty) {
  EXPECT_EQ(format_fingerprint(std::optional<Fingerprint>{}), "");
  EXPECT_EQ(format_fingerprint(std::optional<Fingerprint>{Fingerprint{"sha-1", "00:11"}}), "sha-1 00:11");
}

class SdpBadFingerprint : public testing::TestWithParam<std::string> {};

TEST_P(SdpBadFingerprint, Rejected) {
  const auto r = parse_fingerprint(GetParam());
  ASSERT_FALSE(r.ok()) << format_fingerprint(r.value());
  EXPECT_EQ(r.error().message.rfind("fingerprint: ", 0), 0u) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(Sdp, SdpBadFingerprint,
                         testing::Values("", "sha-256", "sha-256 ", " AB:CD", "sha-256  AB:CD", "sha-256 AB:CD ",
                                         "sha-256 AB:CD:", "sha-256 :AB:CD", "sha-256 ABC:DE", "sha-256 A:BC",
                                         "sha-256 AB::CD", "sha-256 GG:00", "sha-256 AB-CD", "sha-256 ABCD",
                                         "sha-256\tAB:CD", "sha(256) AB:CD", "sha-256 AB:CD\r\n", "sha-256 A",
                                         "sha-256 AB:C", "sha-256 AB:CD EF"));

// ----- candidate -----------------------------------------------------------

TEST(Sdp, CandidateParsesAllFields) {
  const auto c = parse_candidate(
      "842163049 1 udp 1686052607 198.51.100.23 50712 typ srflx raddr 10.0.0.2 rport 50000 generation 0 "
      "network-id 1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->foundation, "842163049");
  EXPECT_EQ(c->component, 1u);
  EXPECT_EQ(c->transport, "udp");
  EXPECT_EQ(c->priority, 1686052607u);
  EXPECT_EQ(c->address, "198.51.100.23");
  EXPECT_EQ(c->port, 50712);
  EXPECT_EQ(c->type, "srflx");
  EXPECT_EQ(c->related_address, "10.0.0.2");
  EXPECT_EQ(c->related_port, 50000);
  EXPECT_EQ(c->extensions,
            (std::vector<std::pair<std::string, std::string>>{{"generation", "0"}, {"network-id", "1"}}));
}

TEST(Sdp, CandidateMinimalHasNoOptionalParts) {
  const auto c = parse_candidate("0 1 UDP 2122252543 192.168.1.23 54609 typ host");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->related_address);
  EXPECT_FALSE(c->related_port);
  EXPECT_TRUE(c->extensions.empty());
}

TEST(Sdp, CandidateStripsAttributeNamePrefix) {
  const auto with = parse_candidate("candidate:1 1 udp 2122260223 192.0.2.1 1234 typ host generation 0");
  const auto without = parse_candidate("1 1 udp 2122260223 192.0.2.1 1234 typ host generation 0");
  ASSERT_TRUE(with.ok()) << with.error().message;
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(*with, *without);
  EXPECT_FALSE(parse_candidate("candidate:candidate:1 1 udp 1 192.0.2.1 1 typ host").ok());
}

TEST(Sdp, CandidateAddressForms) {
  for (const char* address :
       {"192.0.2.1", "0.0.0.0", "255.255.255.255", "::1", "2001:db8::1", "fe80::1:2:3:4", "::ffff:192.0.2.1",
        "3f0c1b1a-7b2e-4a7e-9c1d-2d6f0b7d8e9a.local", "localhost", "turn.example.com", "a_b.example", "x1.b2"}) {
    const auto c = parse_candidate(std::string("1 1 udp 1 ") + address + " 1 typ host");
    EXPECT_TRUE(c.ok()) << address << ": " << c.error().message;
  }
}

TEST(Sdp, CandidateTcpTypeAndUnknownTypeKept) {
  const auto c = parse_candidate("2 1 TCP 2105524479 192.168.1.23 9 typ host tcptype active");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->transport, "TCP");
  EXPECT_EQ(c->extensions.at(0), (std::pair<std::string, std::string>{"tcptype", "active"}));
  const auto future = parse_candidate("2 1 x-quic 5 192.0.2.1 9 typ x-new-type");
  ASSERT_TRUE(future.ok()) << future.error().message;
  EXPECT_EQ(future->type, "x-new-type");
}

TEST(Sdp, CandidateRelatedPortWithoutAddress) {
  const auto c = parse_candidate("1 1 udp 1 192.0.2.1 1 typ relay rport 3478");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->related_address);
  EXPECT_EQ(c->related_port, 3478);
  EXPECT_EQ(format_candidate(*c), "1 1 udp 1 192.0.2.1 1 typ relay rport 3478");
}

TEST(Sdp, CandidateKeywordsAreCaseInsensitive) {
  // RFC 5234 §2.3: ABNF string literals match either case.
  const auto c = parse_candidate("1 1 udp 1 192.0.2.1 1 TYP srflx RADDR 10.0.0.1 RPort 2");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->related_address, "10.0.0.1");
  EXPECT_EQ(format_candidate(*c), "1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 rport 2");
}

TEST(Sdp, CandidateNumericBoundaries) {
  EXPECT_TRUE(parse_candidate("1 1 udp 1 192.0.2.1 0 typ host").ok());
  EXPECT_TRUE(parse_candidate("1 256 udp 2147483647 192.0.2.1 65535 typ host").ok());
  EXPECT_TRUE(parse_candidate("1 1 udp 1 192.0.2.1 1 typ srflx raddr 0.0.0.0 rport 0").ok());
  EXPECT_TRUE(parse_candidate("1 1 udp 1 192.0.2.1 1 typ srflx raddr 0.0.0.0 rport 65535").ok());
}

TEST(Sdp, CandidateFormatIsCanonical) {
  for (const char* text : {
           "2999745851 1 udp 2122260223 3f0c1b1a-7b2e-4a7e-9c1d-2d6f0b7d8e9a.local 50712 typ host generation "
           "0 "
           "network-id 1 network-cost 10",
           "1 1 UDP 1686052863 203.0.113.7 54609 typ srflx raddr 192.168.1.23 rport 54609",
           "a+b/C 2 tcp 1 2001:db8::1 9 typ host tcptype passive",
       }) {
    const auto c = parse_candidate(text);
    ASSERT_TRUE(c.ok()) << text << ": " << c.error().message;
    EXPECT_EQ(format_candidate(*c), text);
  }
  const auto padded = parse_candidate("1 001 udp 0100 192.0.2.1 00080 typ host");
  ASSERT_TRUE(padded.ok()) << padded.error().message;
  EXPECT_EQ(format_candidate(*padded), "1 1 udp 100 192.0.2.1 80 typ host");
}

TEST(Sdp, CandidateFormatThenParseIsIdentity) {
  Candidate c;
  c.foundation = "4233069003";
  c.component = 2;
  c.transport = "udp";
  c.priority = 41885439;
  c.address = "203.0.113.50";
  c.port = 3478;
  c.type = "relay";
  c.related_address = "198.51.100.23";
  c.related_port = 50712;
  c.extensions = {{"generation", "0"}, {"ufrag", "Xq3b"}};
  const auto again = parse_candidate(format_candidate(c));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, c);
}

class SdpBadCandidate : public testing::TestWithParam<std::string> {};

TEST_P(SdpBadCandidate, Rejected) {
  const auto r = parse_candidate(GetParam());
  ASSERT_FALSE(r.ok()) << format_candidate(r.value());
  EXPECT_EQ(r.error().message.rfind("candidate: ", 0), 0u) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Sdp, SdpBadCandidate,
    testing::Values(
        "", "candidate:", "1 1 udp 1 192.0.2.1 1 typ", "1 1 udp 1 192.0.2.1 1 host", "1 1 udp 1 192.0.2.1 1 type host",
        " 1 1 udp 1 192.0.2.1 1 typ host", "1 1 udp 1 192.0.2.1 1 typ host ", "1  1 udp 1 192.0.2.1 1 typ host",
        "1\t1 udp 1 192.0.2.1 1 typ host", "1 1 udp 1 192.0.2.1 1 typ host\r\n",
        // foundation: 1-32 of ALPHA / DIGIT / "+" / "/"
        "123456789012345678901234567890123 1 udp 1 192.0.2.1 1 typ host", "a-b 1 udp 1 192.0.2.1 1 typ host",
        // component 1..256
        "1 0 udp 1 192.0.2.1 1 typ host", "1 257 udp 1 192.0.2.1 1 typ host", "1 -1 udp 1 192.0.2.1 1 typ host",
        "1 x udp 1 192.0.2.1 1 typ host",
        // transport
        "1 1 u(dp) 1 192.0.2.1 1 typ host",
        // priority 1..2^31-1
        "1 1 udp 0 192.0.2.1 1 typ host", "1 1 udp 2147483648 192.0.2.1 1 typ host",
        "1 1 udp 99999999999 192.0.2.1 1 typ host", "1 1 udp 1e3 192.0.2.1 1 typ host",
        // address
        "1 1 udp 1 192.0.2 1 typ host", "1 1 udp 1 192.0.2.256 1 typ host", "1 1 udp 1 192.0.2.01 1 typ host",
        "1 1 udp 1 1.2.3.4.5 1 typ host", "1 1 udp 1 2001:db8:::1 1 typ host", "1 1 udp 1 [::1] 1 typ host",
        "1 1 udp 1 fe80::1%eth0 1 typ host", "1 1 udp 1 -bad.local 1 typ host", "1 1 udp 1 bad-.local 1 typ host",
        "1 1 udp 1 a..local 1 typ host", "1 1 udp 1 example.com. 1 typ host", "1 1 udp 1 ex!ample.com 1 typ host",
        // port 0..65535
        "1 1 udp 1 192.0.2.1 65536 typ host", "1 1 udp 1 192.0.2.1 -1 typ host", "1 1 udp 1 192.0.2.1 p typ host",
        // type
        "1 1 udp 1 192.0.2.1 1 typ h\"st",
        // raddr / rport
        "1 1 udp 1 192.0.2.1 1 typ srflx raddr", "1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.300 rport 1",
        "1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 rport",
        "1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 rport x",
        "1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 rport 70000",
        "1 1 udp 1 192.0.2.1 1 typ srflx rport 1 raddr 10.0.0.1", "1 1 udp 1 192.0.2.1 1 typ srflx typ host",
        "1 1 udp 1 192.0.2.1 1 typ srflx raddr 10.0.0.1 raddr 10.0.0.2",
        // extensions come in name/value pairs of visible ASCII
        "1 1 udp 1 192.0.2.1 1 typ host generation", "1 1 udp 1 192.0.2.1 1 typ host generation 0 network-id",
        "1 1 udp 1 192.0.2.1 1 typ host gen(eration) 0", "1 1 udp 1 192.0.2.1 1 typ host generation \x01",
        "1 1 udp 1 192.0.2.1 1 typ host generation caf\xc3\xa9"));

// ----- transport_info --------------------------------------------------------

TEST(Sdp, TransportInfoMediaLevelOverridesSessionLevel) {
  const Session s = parse_ok(
      "v=0\r\n"
      "a=ice-ufrag:session\r\n"
      "a=ice-pwd:session-pwd\r\n"
      "a=setup:active\r\n"
      "a=fingerprint:sha-256 AA:AA\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=ice-ufrag:media\r\n"
      "a=fingerprint:sha-256 BB:BB\r\n"
      "a=fingerprint:sha-1 CC:CC\r\n");
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.ice_ufrag, "media");
  EXPECT_EQ(t.ice_pwd, "session-pwd");
  EXPECT_EQ(t.setup, "active");
  EXPECT_EQ(t.fingerprints, (std::vector<Fingerprint>{{"sha-256", "BB:BB"}, {"sha-1", "CC:CC"}}));
}

TEST(Sdp, TransportInfoSkipsUnparsableFingerprints) {
  const Session s = parse_ok(
      "v=0\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=fingerprint:sha-256 not-hex\r\n"
      "a=fingerprint\r\n"
      "a=fingerprint:sha-256 AB:CD\r\n");
  EXPECT_EQ(transport_info(s).fingerprints, (std::vector<Fingerprint>{{"sha-256", "AB:CD"}}));
}

TEST(Sdp, TransportInfoBrokenMediaFingerprintDoesNotPromoteSessionOne) {
  const Session s = parse_ok(
      "v=0\r\n"
      "a=fingerprint:sha-256 AB:CD\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=fingerprint:garbage\r\n");
  EXPECT_TRUE(transport_info(s).fingerprints.empty());
}

TEST(Sdp, TransportInfoCollectsBadCandidates) {
  const Session s = parse_ok(
      "v=0\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "a=candidate:1 1 udp 2122260223 192.0.2.1 1234 typ host\r\n"
      "a=candidate:2 1 udp 0 192.0.2.1 1234 typ host\r\n"
      "a=candidate\r\n"
      "a=candidate:3 1 udp 1 192.0.2.1 1 typ host generation\r\n"
      "a=candidate:4 1 udp 1 192.0.2.2 1 typ host\r\n");
  const TransportInfo t = transport_info(s);
  ASSERT_EQ(t.candidates.size(), 2u);
  EXPECT_EQ(t.candidates[0].foundation, "1");
  EXPECT_EQ(t.candidates[1].foundation, "4");
  EXPECT_EQ(t.bad_candidates, (std::vector<std::string>{"2 1 udp 0 192.0.2.1 1234 typ host", "",
                                                        "3 1 udp 1 192.0.2.1 1 typ host generation"}));
}

TEST(Sdp, TransportInfoWithoutMediaUsesSessionLevel) {
  const Session s = parse_ok(
      "v=0\r\n"
      "a=ice-ufrag:u\r\n"
      "a=ice-pwd:p\r\n"
      "a=setup:passive\r\n"
      "a=mid:0\r\n"
      "a=fingerprint:sha-256 01:02\r\n"
      "a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n"
      "a=end-of-candidates\r\n");
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.ice_ufrag, "u");
  EXPECT_EQ(t.ice_pwd, "p");
  EXPECT_EQ(t.setup, "passive");
  EXPECT_EQ(t.fingerprints.size(), 1u);
  EXPECT_EQ(t.candidates.size(), 1u);
  EXPECT_TRUE(t.end_of_candidates);
  EXPECT_FALSE(t.mid) << "mid is a media-level attribute (RFC 5888)";
}

TEST(Sdp, TransportInfoEmptySession) {
  const TransportInfo t = transport_info(parse_ok("v=0\r\n"));
  EXPECT_FALSE(t.ice_ufrag);
  EXPECT_FALSE(t.ice_pwd);
  EXPECT_FALSE(t.setup);
  EXPECT_FALSE(t.mid);
  EXPECT_TRUE(t.fingerprints.empty());
  EXPECT_TRUE(t.candidates.empty());
  EXPECT_FALSE(t.end_of_candidates);
}

TEST(Sdp, TransportInfoSessionLevelEndOfCandidates) {
  const Session s = parse_ok("v=0\r\na=end-of-candidates\r\nm=application 9 P f\r\n");
  EXPECT_TRUE(transport_info(s).end_of_candidates);
}

TEST(Sdp, TransportInfoTreatsValuelessAttributeAsAbsentAndTakesFirstDuplicate) {
  const Session s = parse_ok(
      "v=0\r\n"
      "a=ice-ufrag:session\r\n"
      "m=application 9 P f\r\n"
      "a=ice-ufrag\r\n"
      "a=ice-pwd:first\r\n"
      "a=ice-pwd:second\r\n");
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.ice_ufrag, "session");
  EXPECT_EQ(t.ice_pwd, "first");
}

TEST(Sdp, TransportInfoReadsOnlyTheFirstMediaSection) {
  const Session s = parse_ok(
      "v=0\r\n"
      "m=application 9 P f\r\n"
      "a=mid:0\r\n"
      "m=application 9 P f\r\n"
      "a=mid:1\r\n"
      "a=ice-ufrag:second\r\n"
      "a=candidate:1 1 udp 1 192.0.2.1 1 typ host\r\n");
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.mid, "0");
  EXPECT_FALSE(t.ice_ufrag);
  EXPECT_TRUE(t.candidates.empty());
}

// ----- rewriting helpers -----------------------------------------------------

const char* const kTwoLevels =
    "v=0\r\n"
    "a=fingerprint:sha-256 00:00\r\n"
    "a=x:s\r\n"
    "m=application 9 P f\r\n"
    "a=fingerprint:sha-256 11:11\r\n"
    "a=mid:0\r\n"
    "a=fingerprint:sha-1 22:22\r\n"
    "m=application 9 P f\r\n"
    "a=mid:1\r\n";

TEST(Sdp, AttributesAtSelectsLevel) {
  Session s = parse_ok(kTwoLevels);
  EXPECT_EQ(&attributes_at(s, -1), &s.attributes);
  EXPECT_EQ(&attributes_at(s, 0), &s.media[0].attributes);
  EXPECT_EQ(&attributes_at(s, 1), &s.media[1].attributes);
}

TEST(Sdp, OutOfRangeIndexFallsBackToSessionLevel) {
  Session s = parse_ok(kTwoLevels);
  for (const int index : {2, 100, -2, -1000}) {
    EXPECT_EQ(&attributes_at(s, index), &s.attributes) << index;
    EXPECT_EQ(find_all(s, index, "x").size(), 1u) << index;
  }
  Session none = parse_ok("v=0\r\n");
  EXPECT_EQ(&attributes_at(none, 0), &none.attributes);
}

TEST(Sdp, FindAllReturnsMatchesOfThatLevelInOrder) {
  const Session s = parse_ok(kTwoLevels);
  const auto media = find_all(s, 0, "fingerprint");
  ASSERT_EQ(media.size(), 2u);
  EXPECT_EQ(media[0], &s.media[0].attributes[0]);
  EXPECT_EQ(media[1], &s.media[0].attributes[2]);
  EXPECT_EQ(find_all(s, -1, "fingerprint").size(), 1u);
  EXPECT_TRUE(find_all(s, 1, "fingerprint").empty());
  EXPECT_TRUE(find_all(s, 0, "Fingerprint").empty());
}

TEST(Sdp, RemoveAllTouchesOnlyThatLevel) {
  Session s = parse_ok(kTwoLevels);
  remove_all(s, 0, "fingerprint");
  EXPECT_EQ(s.media[0].attributes, std::vector<Attribute>{(Attribute{"mid", "0"})});
  EXPECT_EQ(s.attributes.size(), 2u);
  remove_all(s, 0, "absent");
  EXPECT_EQ(s.media[0].attributes.size(), 1u);
}

TEST(Sdp, SetSingleReplacesFirstInPlaceAndDropsDuplicates) {
  Session s = parse_ok(kTwoLevels);
  set_single(s, 0, "fingerprint", "sha-256 FF:FF");
  EXPECT_EQ(s.media[0].attributes, (std::vector<Attribute>{{"fingerprint", "sha-256 FF:FF"}, {"mid", "0"}}));
  EXPECT_EQ(s.attributes.at(0).value, "sha-256 00:00");
}

TEST(Sdp, SetSingleAppendsWhenAbsent) {
  Session s = parse_ok(kTwoLevels);
  set_single(s, 1, "setup", "active");
  EXPECT_EQ(s.media[1].attributes.back(), (Attribute{"setup", "active"}));
  set_single(s, -1, "ice-lite", "");
  EXPECT_EQ(s.attributes.back(), (Attribute{"ice-lite", ""}));
}

TEST(Sdp, SetSingleTurnsFlagIntoValue) {
  Session s = parse_ok("v=0\r\na=x\r\n");
  set_single(s, -1, "x", "1");
  EXPECT_EQ(write(s), "v=0\r\na=x:1\r\n");
}

TEST(Sdp, FingerprintRewriteChangesExactlyOneLine) {
  const std::string original = with_crlf(load_fixture("chromium-offer.sdp"));
  Session s = parse_ok(original);
  const Fingerprint forged{"sha-256",
                           "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                           "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"};
  set_single(s, 0, "fingerprint", format_fingerprint(forged));
  const auto before = split_lines(original);
  const auto after = split_lines(write(s));
  ASSERT_EQ(before.size(), after.size());
  int changed = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (before[i] == after[i]) continue;
    ++changed;
    EXPECT_EQ(after[i], "a=fingerprint:" + format_fingerprint(forged));
  }
  EXPECT_EQ(changed, 1);
  EXPECT_EQ(transport_info(parse_ok(write(s))).fingerprints, std::vector<Fingerprint>{forged});
}

// ----- make_data_channel -----------------------------------------------------

DataChannelDescription sample_description() {
  DataChannelDescription d;
  d.session_id = 4611731400430051336ull;
  d.ice_ufrag = "Xq3b";
  d.ice_pwd = "8kBz0g3Qh1cV7mN2pL5tR9wY";
  d.fingerprints = {
      {"sha-256", "6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"},
      {"sha-1", "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67"},
  };
  d.setup = "actpass";
  auto host = parse_candidate("2999745851 1 udp 2122260223 192.168.1.23 50712 typ host generation 0 network-id 1");
  auto mdns = parse_candidate("1510613869 1 tcp 1518280447 3f0c1b1a-7b2e.local 9 typ host tcptype active");
  auto srflx = parse_candidate("842163049 1 udp 1686052607 198.51.100.23 50712 typ srflx raddr 0.0.0.0 rport 0");
  EXPECT_TRUE(host.ok() && mdns.ok() && srflx.ok());
  if (host.ok() && mdns.ok() && srflx.ok()) d.candidates = {*host, *mdns, *srflx};
  return d;
}

TEST(Sdp, MakeDataChannelHasBrowserShape) {
  const std::string expected =
      "v=0\r\n"
      "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=msid-semantic: WMS\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:Xq3b\r\n"
      "a=ice-pwd:8kBz0g3Qh1cV7mN2pL5tR9wY\r\n"
      "a=ice-options:trickle\r\n"
      "a=fingerprint:sha-256 "
      "6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
      "a=fingerprint:sha-1 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67\r\n"
      "a=setup:actpass\r\n"
      "a=mid:0\r\n"
      "a=sctp-port:5000\r\n"
      "a=max-message-size:262144\r\n"
      "a=candidate:2999745851 1 udp 2122260223 192.168.1.23 50712 typ host generation 0 network-id 1\r\n"
      "a=candidate:1510613869 1 tcp 1518280447 3f0c1b1a-7b2e.local 9 typ host tcptype active\r\n"
      "a=candidate:842163049 1 udp 1686052607 198.51.100.23 50712 typ srflx raddr 0.0.0.0 rport 0\r\n"
      "a=end-of-candidates\r\n";
  EXPECT_EQ(write(make_data_channel(sample_description())), expected);
}

TEST(Sdp, MakeDataChannelThenParseGivesBackTheInputs) {
  const DataChannelDescription d = sample_description();
  const Session made = make_data_channel(d);
  const Session s = parse_ok(write(made));
  EXPECT_EQ(s, made);
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.ice_ufrag, d.ice_ufrag);
  EXPECT_EQ(t.ice_pwd, d.ice_pwd);
  EXPECT_EQ(t.setup, d.setup);
  EXPECT_EQ(t.fingerprints, d.fingerprints);
  EXPECT_EQ(t.candidates, d.candidates);
  EXPECT_TRUE(t.bad_candidates.empty());
  EXPECT_TRUE(t.end_of_candidates);
  EXPECT_EQ(t.mid, "0");
  EXPECT_EQ(s.lines.at(1).text, "- 4611731400430051336 2 IN IP4 127.0.0.1");
}

// A call: an m=audio section bundled after the data channel's, with the
// same transport attributes, Opus at payload type 111 and rtcp-mux.
TEST(Sdp, MakeDataChannelWithAudioBundlesAnOpusSection) {
  DataChannelDescription d = sample_description();
  d.audio = true;
  const Session s = parse_ok(write(make_data_channel(d)));
  ASSERT_EQ(s.media.size(), 2u);
  const auto group = find_all(s, -1, "group");
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0]->value, "BUNDLE 0 1");
  const Media& a = s.media[1];
  EXPECT_EQ(a.media, "audio");
  EXPECT_EQ(a.proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(a.formats, std::vector<std::string>{"111"});
  for (const char* name : {"ice-ufrag", "ice-pwd", "setup", "rtcp-mux", "sendrecv"})
    EXPECT_EQ(find_all(s, 1, name).size(), 1u) << name;
  EXPECT_EQ(find_all(s, 1, "fingerprint").size(), d.fingerprints.size());
  EXPECT_EQ(find_all(s, 1, "rtpmap").at(0)->value, "111 opus/48000/2");
  EXPECT_EQ(find_all(s, 1, "mid").at(0)->value, "1");
  EXPECT_TRUE(find_all(s, 1, "candidate").empty());  // bundled: the first section's candidates serve both
  // What a receiver reads (the first section) is unchanged.
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.fingerprints, d.fingerprints);
  EXPECT_EQ(t.candidates, d.candidates);
  EXPECT_EQ(t.mid, "0");
}

TEST(Sdp, MakeDataChannelAnswerWithoutCandidates) {
  DataChannelDescription d = sample_description();
  d.session_id = 0;
  d.setup = "active";
  d.candidates.clear();
  d.fingerprints.resize(1);
  const Session s = parse_ok(write(make_data_channel(d)));
  EXPECT_EQ(s.lines.at(1).text, "- 0 2 IN IP4 127.0.0.1");
  const TransportInfo t = transport_info(s);
  EXPECT_EQ(t.setup, "active");
  EXPECT_EQ(t.fingerprints, d.fingerprints);
  EXPECT_TRUE(t.candidates.empty());
  EXPECT_TRUE(t.end_of_candidates);
  EXPECT_TRUE(find_all(s, 0, "candidate").empty());
}

TEST(Sdp, MakeDataChannelMaxSessionId) {
  DataChannelDescription d = sample_description();
  d.session_id = UINT64_MAX;
  const Session s = parse_ok(write(make_data_channel(d)));
  EXPECT_EQ(s.lines.at(1).text, "- 18446744073709551615 2 IN IP4 127.0.0.1");
}

}  // namespace
}  // namespace sigtrust::sdp
