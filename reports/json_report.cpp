#include "reports/json_report.hpp"

#include <cmath>
#include <ctime>
#include <filesystem>

namespace sigtrust::reports {

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

using nlohmann::json;

json ms(double v) { return v < 0 ? json(nullptr) : json(std::round(v * 1000) / 1000); }

// attacker.media: what it decrypted, per SSRC.
json media_json(const AttackerSessionReport& a) {
  json out = json::array();
  for (const auto& [ssrc, m] : a.media)
    out.push_back({{"ssrc", ssrc},
                   {"from", m.from},
                   {"kind", m.kind},
                   {"codec", m.codec},
                   {"payload_type", m.payload_type},
                   {"packets", m.packets},
                   {"bytes", m.bytes},
                   {"undecodable", m.undecodable},
                   {"files", m.files}});
  return out;
}

json peer_json(const PeerResult& p) {
  const auto& r = p.report;
  json fps = json::array();
  for (const auto& f : r.expected_fingerprints) fps.push_back(sdp::format_fingerprint(f));
  json j{
      {"trust", r.trust},
      {"dtls_peer_fingerprint",
       r.dtls_peer_fingerprint ? json(sdp::format_fingerprint(*r.dtls_peer_fingerprint)) : json(nullptr)},
      {"dtls_peer_owner", p.dtls_peer_owner.empty() ? json(nullptr) : json(p.dtls_peer_owner)},
      {"sdp_fingerprints", fps},
      {"dtls_role", r.dtls_role ? json(std::string(to_string(*r.dtls_role))) : json(nullptr)},
      {"state", std::string(to_string(r.state))},
      {"failure", r.failure.empty() ? json(nullptr) : json(r.failure)},
      {"alarms", r.alarms},
      {"sent", r.sent},
      {"received", r.received},
      {"local_addresses", r.local_addresses},
      // A call (media: [audio]): RTP packets of its tone sent, of the other side's received and refused.
      {"media", r.media ? json{{"sent", r.media_sent}, {"received", r.media_received}, {"rejected", r.media_rejected}}
                        : json(nullptr)}};
  if (r.selected_pair)
    j["selected_pair"] = {{"local_type", r.selected_pair->local_type},
                          {"remote_type", r.selected_pair->remote_type},
                          {"local", r.selected_pair->local},
                          {"remote", r.selected_pair->remote}};
  else j["selected_pair"] = nullptr;
  return j;
}

// The scenario file's path relative to the root of the git repository that
// holds it ("scenarios/swap-mitm.yaml"), for tools that locate findings in a
// repository (SARIF code scanning); null when the file is not in one.
json repository_path(const std::string& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (file.empty() || file.find("://") != std::string::npos || !fs::is_regular_file(file, ec)) return nullptr;
  const fs::path path = fs::weakly_canonical(fs::absolute(file, ec), ec);
  if (ec) return nullptr;
  for (fs::path dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / ".git", ec)) return path.lexically_relative(dir).generic_string();
    if (dir == dir.root_path()) break;
  }
  return nullptr;
}

}  // namespace

json result_document(const std::vector<RunResult>& runs) {
  // schema_version: of docs/result.schema.json; raised when a field changes meaning or goes.
  json doc{
      {"tool", "sigtrust"}, {"version", SIGTRUST_VERSION}, {"schema_version", kSchemaVersion}, {"runs", json::array()}};
  size_t sessions = 0, failed = 0, errors = 0, interrupted = 0;
  for (const auto& run : runs) {
    json jr{{"scenario", run.scenario},
            {"file", run.file},
            {"repo_path", repository_path(run.file)},
            {"attack", run.attack},
            {"trust", run.trust},
            {"seed", run.seed},
            {"network", run.network},
            {"deadline_ms", run.deadline_ms},
            {"deadline_reached", run.deadline_reached},
            {"interrupted", run.interrupted},
            {"duration_ms", ms(run.duration_ms)},
            {"error", run.error.empty() ? json(nullptr) : json(run.error)},
            {"sessions", json::array()},
            {"timeline", json::array()}};
    if (!run.error.empty()) ++errors;
    if (run.interrupted) ++interrupted;
    for (const auto& s : run.sessions) {
      ++sessions;
      if (!s.pass) ++failed;
      jr["sessions"].push_back(
          {{"offerer", s.offerer},
           {"answerer", s.answerer},
           {"room", s.room},
           {"round", s.round},
           {"line", s.line > 0 ? json(s.line) : json(nullptr)},
           {"outcome", std::string(to_string(s.outcome))},
           {"expected", s.expected},
           {"pass", s.pass},
           {"peers", {{s.offerer, peer_json(s.offerer_result)}, {s.answerer, peer_json(s.answerer_result)}}},
           {"attacker",
            {{"plaintext_read", s.attacker.plaintext_read},
             {"ciphertext_bytes", s.attacker.ciphertext_bytes},
             {"rewritten", s.attacker.rewritten},
             {"dtls_legs", s.attacker.dtls_legs},
             {"certificate_fingerprint", sdp::format_fingerprint(s.attacker.certificate_fingerprint)},
             {"legs_connected", s.attacker.legs_connected},
             {"srtp_profiles", s.attacker.srtp_profiles},
             {"media", media_json(s.attacker)},
             {"rtcp_packets", s.attacker.rtcp_packets},
             {"media_rejected", s.attacker.media_rejected},
             // sas-grind-mitm: key shares tried and whether one matched the SAS; null when nothing was ground.
             {"grind_tries", s.attacker.grind_tries > 0 ? json(s.attacker.grind_tries) : json(nullptr)},
             {"grind_matched", s.attacker.grind_tries > 0 ? json(s.attacker.grind_matched) : json(nullptr)}}},
           {"timings_ms", {{"ice", ms(s.ice_ms)}, {"dtls", ms(s.dtls_ms)}, {"total", ms(s.total_ms)}}},
           // Ended by the deadline or a stop before it settled: then the outcome is what happened so far.
           {"cut_by", s.cut == CutBy::None ? json(nullptr) : json(std::string(to_string(s.cut)))},
           {"waiting_for", s.waiting_for.empty() ? json(nullptr) : json(s.waiting_for)}});
    }
    for (const auto& e : run.timeline) {
      json je{{"t_ms", ms(e.t_ms)}, {"actor", e.actor}, {"kind", e.kind}, {"text", e.text}};
      if (!e.data.is_null()) je["data"] = e.data;
      jr["timeline"].push_back(std::move(je));
    }
    doc["runs"].push_back(std::move(jr));
  }
  doc["summary"] = {{"runs", runs.size()},
                    {"sessions", sessions},
                    {"expectations_failed", failed},
                    {"errors", errors},
                    {"interrupted", interrupted}};
  return doc;
}

}  // namespace sigtrust::reports
