// Fuzzes the adapters between other signaling protocols and sigtrust's own
// (core/signaling_adapter): PeerJS frames, and JSON frames read through JSON
// Pointers, which `sigtrust relay --protocol peerjs` and `sigtrust proxy` read
// from every client. Properties: nothing crashes or throws; a refusal has a
// reason; a frame the adapter translates comes back from the internal form
// unchanged in what matters (type, destination, connection, SDP, candidate),
// and the frame written back is read again as the same message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "core/signaling_adapter.hpp"

using sigtrust::fuzz::check;

namespace {

void peerjs(std::string_view text) {
  const auto m = sigtrust::parse_peerjs(text);
  if (!m) {
    check(!m.error().message.empty(), "parse_peerjs error has a reason");
    return;
  }
  const std::string frame = sigtrust::peerjs_frame(*m);
  const auto internal = sigtrust::peerjs_to_internal(*m);
  if (!internal) return;
  const auto back = sigtrust::peerjs_from_internal(*m, *internal);
  check(back.ok(), "a translated PeerJS frame takes its own internal form back", frame);
  const std::string again_text = sigtrust::peerjs_frame(*back);
  const auto again = sigtrust::parse_peerjs(again_text);
  check(again.ok(), "parse_peerjs accepts the frame written back", again_text);
  check(again->type == m->type && again->dst == m->dst && again->connection_id == m->connection_id,
        "the frame written back keeps type, dst and connectionId", again_text);
  check(again->sdp == m->sdp, "the frame written back keeps the SDP", again_text);
  check(again->candidate == m->candidate, "the frame written back keeps the candidate", again_text);
}

void pointers(std::string_view text, const char* sdp_path, const char* candidate_path) {
  const sigtrust::JsonPointerPaths paths{*sigtrust::parse_json_pointer(sdp_path),
                                         *sigtrust::parse_json_pointer(candidate_path)};
  const auto m = sigtrust::parse_pointer_message(text, paths);
  if (!m) {
    check(!m.error().message.empty(), "parse_pointer_message error has a reason");
    return;
  }
  if (m->kind == sigtrust::PointerMessage::Kind::Other) return;
  const std::string internal = sigtrust::pointer_to_internal(*m, sigtrust::SignalingMessage::Type::Offer);
  const auto back = sigtrust::pointer_from_internal(*m, paths, internal);
  check(back.ok(), "a JSON frame takes its own internal form back", internal);
  const auto again = sigtrust::parse_pointer_message(*back, paths);
  check(again.ok(), "parse_pointer_message accepts the frame written back", *back);
  check(again->kind == m->kind && again->sdp == m->sdp, "the frame written back keeps its kind and SDP", *back);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  peerjs(text);
  pointers(text, "/body/desc/sdp", "/body/line");
  pointers(text, "/sdp", "/candidate");
  return 0;
}
