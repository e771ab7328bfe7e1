// Fuzzes the signaling message parser (core/signaling_message), which reads every WebSocket text
// frame the relay and the peers receive. Properties: parse_signaling never crashes or throws;
// a message it accepts serializes to text it accepts again as the same message, and serializing
// that gives the same text (what the relay and the attacks forward is what they read).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "core/signaling_message.hpp"

using sigtrust::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto m = sigtrust::parse_signaling(text);
  if (!m) {
    check(!m.error().message.empty(), "parse_signaling error has a reason");
    return 0;
  }
  const std::string written = sigtrust::serialize(*m);
  const auto again = sigtrust::parse_signaling(written);
  check(again.ok(), "parse_signaling accepts what serialize wrote", again.ok() ? written : again.error().message);
  check(again->type == m->type, "signaling round trip keeps the type", written);
  check(again->sdp == m->sdp, "signaling round trip keeps the sdp", written);
  check(again->candidate == m->candidate, "signaling round trip keeps the candidate", written);
  check(sigtrust::serialize(*again) == written, "serialize is stable", written);
  return 0;
}
