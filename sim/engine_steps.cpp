#include "sim/engine_steps.hpp"

#include <algorithm>

#include "core/outcome.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::engine {
namespace {

std::string join_trust(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& t : v) out += (out.empty() ? "" : "+") + t;
  return out;
}

double span_ms(double from, double to) { return from < 0 || to < 0 ? -1 : to - from; }

// ICE, DTLS and total set-up time of a session, from both ends' clocks.
void session_timings(SessionResult& sr) {
  const auto& o = sr.offerer_result.report;
  const auto& a = sr.answerer_result.report;
  auto latest = [](double x, double y) { return x < 0 || y < 0 ? -1 : std::max(x, y); };
  const double start = std::min(o.t_start_ms, a.t_start_ms);
  sr.ice_ms = span_ms(start, latest(o.t_ice_ms, a.t_ice_ms));
  sr.dtls_ms = span_ms(latest(o.t_ice_ms, a.t_ice_ms), latest(o.t_dtls_ms, a.t_dtls_ms));
  sr.total_ms = span_ms(start, latest(o.t_done_ms, a.t_done_ms));
}

EndTruth end_truth(const PeerResult& pr, const std::string& intended) {
  EndTruth e;
  e.handshake_done = pr.report.handshake_done;
  e.entered_data_phase = pr.report.entered_data_phase;
  e.dtls_peer_owner = pr.dtls_peer_owner;
  e.intended_peer = intended;
  e.alarms = pr.report.alarms;
  return e;
}

// Why the classifier failed closed on a session, if for want of ground truth.
std::string unaccounted_reason(const SessionTruth& t, const std::string& room) {
  for (const auto* e : {&t.offerer, &t.answerer})
    if (e->entered_data_phase && (e->dtls_peer_owner.empty() || e->dtls_peer_owner == kUnregisteredOwner))
      return "ground truth incomplete: in " + room + " a peer exchanged data with " +
             (e->dtls_peer_owner.empty() ? std::string("no recorded certificate") : "a certificate no node registered");
  return "";
}

}  // namespace

std::string trust_label(const scenario::Scenario& s) {
  const std::string first = s.peers.empty() ? "" : join_trust(s.peers.front().trust);
  bool same = true;
  for (const auto& p : s.peers) same = same && join_trust(p.trust) == first;
  if (same) return first;
  std::string out;
  for (const auto& p : s.peers) out += (out.empty() ? "" : ",") + p.name + "=" + join_trust(p.trust);
  return out;
}

RunResult result_header(const scenario::Scenario& s) {
  RunResult r;
  r.scenario = s.name;
  r.file = s.file;
  r.attack = s.attack.name;
  r.trust = trust_label(s);
  r.seed = s.seed;
  r.deadline_ms = s.deadline_ms;
  return r;
}

std::string room_of(std::size_t index, const scenario::SessionSpec& session) {
  return "/s" + std::to_string(index) + "-" + session.offerer + "-" + session.answerer;
}

std::vector<std::uint32_t> rounds_of(const scenario::Scenario& s) {
  std::vector<std::uint32_t> rounds;
  for (const auto& sess : s.sessions) rounds.push_back(sess.round);
  std::sort(rounds.begin(), rounds.end());
  rounds.erase(std::unique(rounds.begin(), rounds.end()), rounds.end());
  return rounds;
}

std::vector<std::vector<std::size_t>> batches_of(const scenario::Scenario& s, std::uint32_t round,
                                                 std::size_t batch_limit) {
  std::vector<std::size_t> current;
  for (std::size_t si = 0; si < s.sessions.size(); ++si)
    if (s.sessions[si].round == round) current.push_back(si);
  const std::size_t size = std::max<std::size_t>(1, std::min(current.size(), batch_limit));
  std::vector<std::vector<std::size_t>> batches;
  for (std::size_t first = 0; first < current.size(); first += size)
    batches.emplace_back(current.begin() + static_cast<std::ptrdiff_t>(first),
                         current.begin() + static_cast<std::ptrdiff_t>(std::min(first + size, current.size())));
  return batches;
}

PeerConfig peer_config(const scenario::Scenario& s, const PeerPlacement& where, const IceServers& servers) {
  const auto& sess = s.sessions[where.session];
  const auto& spec = s.peers[where.peer_index];
  PeerConfig pc;
  pc.name = where.offerer ? sess.offerer : sess.answerer;
  pc.counterpart = where.offerer ? sess.answerer : sess.offerer;
  pc.offerer = where.offerer;
  pc.address = where.address;
  pc.stun = sess.attacked && servers.attacker_stun ? servers.attacker_stun : servers.stun;
  pc.turn = sess.attacked && servers.attacker_turn ? servers.attacker_turn : servers.turn;
  // Without the node a policy needs (an unattacked session, no honest node), the peer connects directly.
  pc.relay_only = spec.relay_only && pc.turn;
  pc.behind_nat = spec.behind_nat && pc.stun;
  pc.relay_url = where.relay_url + room_of(where.session, sess) + "?peer=" + pc.name;
  pc.trust = spec.trust;
  pc.trust_context = where.trust;
  pc.trust_context.params = spec.trust_params;
  for (const auto& m : sess.messages) {
    if (m.from == pc.name) pc.outgoing.push_back(m.text);
    else ++pc.expected_incoming;
  }
  // A call: the offerer's tone is A4, the answerer's a fifth above, so each
  // direction of a recording can be told by ear and by its spectrum.
  if (sess.audio) pc.tone_hz = where.offerer ? 440.0 : 660.0;
  return pc;
}

Judgement judge_session(const scenario::Scenario& s, std::size_t index, const SessionEnd& end, const RunResult& run,
                        const CertificateRegistry& registry,
                        const std::map<std::string, AttackerSessionReport>& attacker_sessions) {
  const auto& sess = s.sessions[index];
  Judgement j;
  SessionResult& sr = j.session;
  sr.offerer = sess.offerer;
  sr.answerer = sess.answerer;
  sr.room = room_of(index, sess);
  sr.round = sess.round;
  sr.line = sess.where.line;
  sr.expected = sess.expect;
  const bool began = end.offerer && end.answerer;
  if (began) {
    sr.offerer_result.report = *end.offerer;
    sr.answerer_result.report = *end.answerer;
  }
  // Unsettled when the run ended: its outcome is only what happened so far.
  if (run.error.empty() && (run.interrupted || run.deadline_reached) && !(began && end.settled)) {
    sr.cut = run.interrupted ? CutBy::Interrupted : CutBy::Deadline;
    sr.waiting_for = began ? end.waiting_for : "the session never started";
  }
  for (PeerResult* pr : {&sr.offerer_result, &sr.answerer_result})
    pr->dtls_peer_owner = registry.owner(pr->report.dtls_peer_fingerprint);
  if (auto it = attacker_sessions.find(sr.room); it != attacker_sessions.end()) sr.attacker = it->second;
  // Attacks at the STUN/TURN position see no rooms; what they got counts for every attacked session.
  if (auto it = attacker_sessions.find(kAllSessions); it != attacker_sessions.end() && sess.attacked)
    sr.attacker = it->second;

  SessionTruth t;
  t.offerer = end_truth(sr.offerer_result, sess.answerer);
  t.answerer = end_truth(sr.answerer_result, sess.offerer);
  t.attacker_read_plaintext =
      !sr.attacker.plaintext_read.empty() || std::any_of(sr.attacker.media.begin(), sr.attacker.media.end(),
                                                         [](const auto& m) { return m.second.packets > 0; });
  t.simulator_error = !run.error.empty();
  sr.outcome = classify(t);
  // The classifier failed closed on this session: say why, as the run's failure.
  if (sr.outcome == Outcome::Error && !t.simulator_error) j.unaccounted = unaccounted_reason(t, sr.room);
  sr.pass = std::string(to_string(sr.outcome)) == sr.expected && is_final(sr.outcome, sr.cut);
  session_timings(sr);
  return j;
}

CEntryReport callback_failure_reporter(Timeline& timeline, RunResult& result) {
  return [&timeline, &result](const std::string& where, const std::string& what) {
    const std::string error = "exception in " + where + ": " + what;
    if (result.error.empty()) result.error = error;
    timeline.add("engine", events::kRunError, "simulator failure: " + error);
  };
}

}  // namespace sigtrust::engine
