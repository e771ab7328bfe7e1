// Fuzzes the SDP parser (core/sdp), which reads text a possibly malicious relay wrote.
// Properties: parse never crashes; what it accepts survives write→parse unchanged (sdp.hpp's
// promise that a rewrite touches only what it means to touch); the typed views over an accepted
// description do not crash; parse_fingerprint and parse_candidate, on the whole input, either
// refuse it or accept something that their format_* writes back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "core/sdp.hpp"

using sigtrust::fuzz::check;
namespace sdp = sigtrust::sdp;

namespace {

// sdp.cpp's kMaxInputBytes: write() normalises LF to CRLF, so text just under the limit can come
// back just over it, which parse rightly refuses; only the model's round trip is checked there.
constexpr std::size_t kMaxSdpBytes = 64 * 1024;

void check_session(std::string_view text) {
  const auto parsed = sdp::parse(text);
  if (!parsed) {
    check(!parsed.error().message.empty(), "sdp::parse error has a reason");
    return;
  }
  const std::string written = sdp::write(*parsed);
  if (written.size() > kMaxSdpBytes) return;
  const auto again = sdp::parse(written);
  check(again.ok(), "sdp::parse accepts what sdp::write wrote", again.ok() ? "" : again.error().message);
  check(*again == *parsed, "sdp: parse(write(parse(x))) == parse(x)", written);
  check(sdp::write(*again) == written, "sdp: write is stable", written);

  // The views attacks and trust policies read; only "does not crash" here.
  const auto info = sdp::transport_info(*parsed);
  for (const auto& c : info.candidates) {
    check(sdp::parse_candidate(sdp::format_candidate(c)).ok(), "transport_info candidates re-parse");
  }
}

void check_fingerprint(std::string_view text) {
  const auto fp = sdp::parse_fingerprint(text);
  if (!fp) return;
  const std::string formatted = sdp::format_fingerprint(*fp);
  const auto again = sdp::parse_fingerprint(formatted);
  check(again.ok() && *again == *fp, "fingerprint: parse(format(fp)) == fp", formatted);
  // Kept as written: what was parsed renders back byte for byte.
  check(formatted == text, "fingerprint: format(parse(text)) == text", formatted);
}

void check_candidate(std::string_view text) {
  const auto c = sdp::parse_candidate(text);
  if (!c) return;
  const std::string formatted = sdp::format_candidate(*c);
  const auto again = sdp::parse_candidate(formatted);
  check(again.ok(), "candidate: parse accepts what format wrote", formatted);
  check(*again == *c, "candidate: parse(format(c)) == c", formatted);
  check(sdp::parse_candidate("candidate:" + formatted).ok(), "candidate: the 'candidate:' prefix is accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_session(text);
  check_fingerprint(text);
  check_candidate(text);
  return 0;
}
