#include "cli/relay_command.hpp"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "attacks/registry.hpp"
#include "cli/matrix_command.hpp"
#include "cli/outputs.hpp"
#include "reports/escape.hpp"
#include "reports/json_report.hpp"
#include "reports/terminal_report.hpp"
#include "sim/attack.hpp"
#include "sim/child_processes.hpp"
#include "sim/sdp.hpp"
#include "sim/signaling_message.hpp"
#include "sim/signaling_relay.hpp"

extern const char* const kSigtrustDemoPage;  // web/demo.html, embedded by cli/CMakeLists.txt

namespace sigtrust::cli {
namespace {

namespace po = boost::program_options;

// What the relay saw of one room: who joined, who offered, and the DTLS
// fingerprint and a=setup in each SDP as sent and as delivered.
struct LiveRoom {
  std::string labels[2] = {"client0", "client1"};
  int offerer = -1;  // client index
  std::string sent_sdp[2], delivered_sdp[2];  // by the client that sent / received it
  std::string sent_fp[2], delivered_fp[2];     // first fingerprint
  std::string sent_fps[2], delivered_fps[2];   // every fingerprint
  std::string sent_setup[2], delivered_setup[2];
  bool delivered[2] = {false, false};  // an SDP reached client i
  // What client i said it saw ({"type":"report"}, sent by the demo page):
  // connected or not, the certificates of its DTLS session, its string.
  nlohmann::json report[2];
};

struct SdpFacts {
  std::string fingerprint;   // the first a=fingerprint, "sha-256 AB:..."
  std::string fingerprints;  // all of them, to tell any change
  std::string setup;
};

SdpFacts facts(const std::string& sdp_text) {
  SdpFacts f;
  auto s = sdp::parse(sdp_text);
  if (!s) return f;
  const auto info = sdp::transport_info(*s);
  for (const auto& fp : info.fingerprints) {
    const std::string text = sdp::format_fingerprint(fp);
    if (f.fingerprint.empty()) f.fingerprint = text;
    f.fingerprints += text + "\n";
  }
  f.setup = info.setup.value_or("");
  return f;
}

// Sees every message before the attack (if any) and every message the
// attack delivers: the relay's own record of each room, from which the
// session's ground truth is inferred at the end.
class LiveRecorder : public SignalingInterceptor {
 public:
  LiveRecorder(CertificateRegistry& registry, std::string attacker, SignalingInterceptor* attack)
      : registry_(registry), attacker_(std::move(attacker)), attack_(attack) {}

  void on_room_closed(const std::string& room) override {
    if (attack_) attack_->on_room_closed(room);  // the record of the room stays for the result
  }

  void on_message(const RelayedMessage& m, Deliver deliver) override {
    LiveRoom& r = rooms_[m.room];
    const int from = m.from_index, to = 1 - from;
    r.labels[from] = m.from_label;
    auto msg = parse_signaling(m.text);
    if (msg && msg->type == SignalingMessage::Type::Report) {
      // Instrumentation for the result, not signaling: kept, never forwarded
      // (a real attacker would drop it; this relay is also the referee).
      r.report[from] = msg->report;
      return;
    }
    const bool sdp = msg && (msg->type == SignalingMessage::Type::Offer || msg->type == SignalingMessage::Type::Answer);
    if (sdp) {
      if (msg->type == SignalingMessage::Type::Offer) {
        // A new offer starts the room's session afresh (a reloaded page): what
        // was delivered before no longer describes it.
        r.offerer = from;
        for (int i : {0, 1}) {
          r.report[i] = nullptr;
          r.delivered[i] = false;
          r.delivered_sdp[i].clear();
          r.delivered_fp[i].clear();
          r.delivered_fps[i].clear();
          r.delivered_setup[i].clear();
        }
      }
      const auto f = facts(msg->sdp);
      r.sent_sdp[from] = msg->sdp;
      r.sent_fp[from] = f.fingerprint;
      r.sent_fps[from] = f.fingerprints;
      r.sent_setup[from] = f.setup;
      if (!f.fingerprint.empty() && registry_.owner(f.fingerprint) != attacker_)
        registry_.add(f.fingerprint, m.from_label);
    }
    Deliver recorded = [this, room = m.room, to, sdp, deliver = std::move(deliver)](std::string text) {
      if (sdp) {
        if (auto out = parse_signaling(text)) {
          LiveRoom& lr = rooms_[room];
          const auto f = facts(out->sdp);
          lr.delivered_sdp[to] = out->sdp;
          lr.delivered_fp[to] = f.fingerprint;
          lr.delivered_fps[to] = f.fingerprints;
          lr.delivered_setup[to] = f.setup;
          lr.delivered[to] = true;
        }
      }
      deliver(std::move(text));
    };
    if (attack_) attack_->on_message(m, std::move(recorded));
    else recorded(m.text);
  }

  const std::map<std::string, LiveRoom>& rooms() const { return rooms_; }

 private:
  CertificateRegistry& registry_;
  std::string attacker_;
  SignalingInterceptor* attack_;
  std::map<std::string, LiveRoom> rooms_;
};

std::string reported(const LiveRoom& r, int i, const char* key) {
  const auto& j = r.report[i];
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>().substr(0, 256) : std::string();
}

PeerResult peer_result(const LiveRoom& r, int i, const AttackerSessionReport& attacker,
                       const CertificateRegistry& registry) {
  PeerResult p;
  p.report.name = r.labels[i];
  p.report.trust = "sdp-fingerprint";  // what every browser enforces (RFC 8122 §5)
  p.report.sdp_sent = r.sent_sdp[i];
  p.report.sdp_received = r.delivered_sdp[i];
  // The certificate this client completed DTLS with, where the relay knows
  // it (the attacker's, when the attacker's leg to it connected); else the
  // one its SDP named, the only one a browser accepts.
  p.report.dtls_peer_fingerprint = attacker.dtls_legs >= 2 ? attacker.certificate_fingerprint : r.delivered_fp[i];
  if (const auto seen = reported(r, i, "remoteCertificate"); !seen.empty()) {
    p.report.dtls_peer_fingerprint = seen;  // from the client's own DTLS session
    p.report.handshake_done = p.report.entered_data_phase = true;
    p.report.state = "data";
  }
  if (const auto failure = reported(r, i, "error"); !failure.empty()) {
    p.report.failure = failure;
    p.report.state = "failed";
  }
  p.dtls_peer_owner = registry.owner(p.report.dtls_peer_fingerprint);
  if (p.report.state.empty() || p.report.state == "new") p.report.state = r.delivered[i] ? "signaled" : "signaling";
  return p;
}

// The relay sees signaling and, under a bridging attack, its own DTLS legs
// with each client — not the clients' own handshakes. What it can tell:
//   mitm-undetected  the attacker completed DTLS with both clients (ground
//                    truth: each accepted the attacker's certificate);
//   detected         the fingerprints were changed in flight but the
//                    attacker did not complete DTLS with both (browsers
//                    refuse a certificate that does not match the SDP);
//   secure           offer and answer crossed with the fingerprints and
//                    a=setup their senders wrote;
//   failed           an SDP never arrived, or a=setup was altered.
Outcome infer(const LiveRoom& r, const AttackerSessionReport& attacker, const CertificateRegistry& registry,
              std::string* why) {
  // Both clients said which certificate their DTLS session authenticated:
  // ground truth, as in a simulated run.
  const std::string seen[2] = {reported(r, 0, "remoteCertificate"), reported(r, 1, "remoteCertificate")};
  if (!seen[0].empty() && !seen[1].empty()) {
    for (int i : {0, 1})
      if (registry.owner(seen[i]) != r.labels[1 - i]) {
        *why = r.labels[i] + " reports a DTLS session with a certificate of " + registry.owner(seen[i]) + ", not " +
               r.labels[1 - i] + "'s";
        return Outcome::MitmUndetected;
      }
    *why = "each client reports a DTLS session with the other's certificate";
    return Outcome::Secure;
  }
  const bool refused = !reported(r, 0, "error").empty() || !reported(r, 1, "error").empty();
  const bool changed = r.delivered_fps[0] != r.sent_fps[1] || r.delivered_fps[1] != r.sent_fps[0];
  if (refused && changed && attacker.dtls_legs < 2) {
    *why = "a client refused the session (" + reported(r, reported(r, 0, "error").empty() ? 1 : 0, "error") +
           ") after the fingerprints were changed in flight";
    return Outcome::Detected;
  }
  if (attacker.dtls_legs >= 2) {
    *why = "both clients completed DTLS with the attacker's certificate, which each found in its SDP";
    return Outcome::MitmUndetected;
  }
  if (!r.delivered[0] || !r.delivered[1]) {
    *why = "the offer or the answer never reached the other client";
    return Outcome::Failed;
  }
  if (changed) {
    *why = "the fingerprints were changed in flight but the attacker completed DTLS with " +
           std::to_string(attacker.dtls_legs) + " of 2 clients";
    return Outcome::Detected;
  }
  if (r.delivered_setup[0] != r.sent_setup[1] || r.delivered_setup[1] != r.sent_setup[0]) {
    *why = "a=setup was altered in flight; the clients' DTLS roles clash";
    return Outcome::Failed;
  }
  *why = "offer and answer crossed with the fingerprints their senders wrote";
  return Outcome::Secure;
}

// Many sessions, each a few sockets: as much of the hard limit as there is.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

bool loopback_ipv4(const std::string& host) {
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace

int relay_command(const std::vector<std::string>& argv, const std::atomic<bool>* stop) {
  po::options_description opts("relay options");
  std::string listen = "127.0.0.1:8765", attack_name = "none", json_path, report_dir, key_log_path;
  std::vector<std::string> rewrites;
  double duration_s = 3600;
  opts.add_options()                                                                                     //
      ("listen", po::value(&listen), "HOST:PORT to serve on (a 127.0.0.0/8 address; port 0: any)")      //
      ("attack", po::value(&attack_name), "a signaling-position attack (sigtrust list attacks), or none")  //
      ("rewrite", po::value(&rewrites), "FROM=TO: the attacker changes FROM to TO in chat messages (repeatable)")  //
      ("json", po::value(&json_path), "write the result document (JSON) here when stopped")              //
      ("report-dir", po::value(&report_dir), "write every report (and keys.log) here when stopped")      //
      ("key-log", po::value(&key_log_path), "write the attacker's DTLS secrets (NSS key log) here")      //
      ("duration", po::value(&duration_s), "stop after this many seconds (default 3600)")                //
      ("quiet,q", "log nothing but the URL");
  const auto parsed = parse("relay", argv, opts);
  if (!parsed) return 0;
  const po::variables_map& vm = *parsed;
  check_output_file(json_path, "--json");
  check_output_file(key_log_path, "--key-log");

  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen wants HOST:PORT, got '" + listen + "'");
  const std::string host = listen.substr(0, colon);
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw UsageError("--listen: '" + listen.substr(colon + 1) + "' is not a port (0-65535)");
  if (!loopback_ipv4(host))
    throw UsageError("--listen: the relay serves loopback only (an IPv4 address in 127.0.0.0/8), not '" + host + "'");
  if (!(duration_s > 0) || duration_s > 7 * 24 * 3600) throw UsageError("--duration: between 0 and 604800 seconds");

  const attacks::AttackPlugin* plugin = nullptr;
  for (const auto& p : attacks::registry())
    if (p.decl.name == attack_name) plugin = &p;
  if (!plugin) throw UsageError("unknown attack '" + attack_name + "' (sigtrust list attacks)");
  if (plugin->decl.position != "signaling" && plugin->decl.position != "none")
    throw UsageError("attack '" + attack_name + "' sits at the " + plugin->decl.position +
                     " position; the live relay carries only signaling-position attacks");
  ParamValues params;
  for (const auto& d : plugin->decl.params) params[d.name] = d.default_value;
  // Only a bridge reads the chat (declared with the attack, as the scenario loader checks it).
  if (!rewrites.empty() && !plugin->decl.bridges) {
    std::string bridging;
    for (const auto& p : attacks::registry())
      if (p.decl.bridges) bridging += (bridging.empty() ? "" : ", ") + p.decl.name;
    throw UsageError("--rewrite needs an attack that bridges the chat (" + bridging + "), not '" + attack_name + "'");
  }
  std::vector<scenario::RewriteRule> rules;
  for (const auto& r : rewrites) {
    const auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--rewrite wants FROM=TO, got '" + r + "'");
    scenario::RewriteRule rule;
    rule.from = r.substr(0, eq);
    rule.to = r.substr(eq + 1);
    rules.push_back(rule);
  }

  KeyLogs key_logs(key_log_path, report_dir);
  raise_descriptor_limit();

  const bool quiet = vm.count("quiet") > 0;
  MainLoop loop;
  MainLoop::ThreadDefault td(loop);
  Timeline timeline;
  if (!quiet)
    timeline.set_listener([](const TimelineEvent& e) {
      // Text from the network (chat, labels) goes to a terminal: escaped.
      std::printf("[%9.1f ms] %-8s %-22s %s\n", e.t_ms, e.actor.c_str(), e.kind.c_str(),
                  reports::terminal_escape(e.text).c_str());
      std::fflush(stdout);
    });
  CertificateRegistry registry;
  std::map<std::string, AttackerSessionReport> attacker_sessions;
  AttackWorld world{loop,  timeline, registry,          host,
                    "mallory", params, rules, attacker_sessions,
                    [&](const std::string& line) { key_logs.write(line); }};
  std::unique_ptr<Attack> attack;
  if (attack_name != "none") attack = attacks::make_attack(attack_name, world);
  LiveRecorder recorder(registry, world.name, attack ? attack->signaling() : nullptr);

  std::unique_ptr<SignalingRelay> relay;
  try {
    relay = std::make_unique<SignalingRelay>(loop, host, timeline, RelayLimits{}, static_cast<std::uint16_t>(port));
  } catch (const SignalingRelay::Failure& e) {
    std::cerr << "sigtrust: " << e.what() << "\n";
    return 3;
  }
  relay->set_interceptor(&recorder);
  relay->serve_page(kSigtrustDemoPage);
  const std::string base = host + ":" + std::to_string(relay->port());
  std::printf("sigtrust relay on ws://%s/ROOM  (attack: %s)\ndemo page: http://%s/\n", base.c_str(),
              attack_name.c_str(), base.c_str());
  std::fflush(stdout);

  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<long long>(duration_s * 1000));
  loop.run_until([&] { return stop && stop->load(); }, deadline, std::chrono::milliseconds(100));
  const bool by_signal = stop && stop->load();
  timeline.add("relay", "relay.stopped",
               by_signal ? "stopped by signal " + std::to_string(stop_signal()) : "stopped: --duration reached");
  timeline.set_listener(nullptr);

  RunResult run;
  run.scenario = "live-relay";
  run.file = "ws://" + base;
  run.attack = attack_name;
  run.trust = "sdp-fingerprint";
  run.network = host + "/32";
  run.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  for (const auto& [room, r] : recorder.rooms()) {
    if (r.offerer < 0) continue;
    SessionResult s;
    s.room = room;
    s.offerer = r.labels[r.offerer];
    s.answerer = r.labels[1 - r.offerer];
    if (auto it = attacker_sessions.find(room); it != attacker_sessions.end()) s.attacker = it->second;
    s.offerer_result = peer_result(r, r.offerer, s.attacker, registry);
    s.answerer_result = peer_result(r, 1 - r.offerer, s.attacker, registry);
    std::string why;
    s.outcome = infer(r, s.attacker, registry, &why);
    s.pass = true;  // a live session states no expectation
    timeline.add("relay", "relay.outcome", "room " + room + ": " + std::string(to_string(s.outcome)) + " — " + why);
    run.sessions.push_back(std::move(s));
  }
  run.timeline = timeline.events();
  relay.reset();  // closes the clients before the attacker's agents go
  attack.reset();

  auto doc = reports::result_document({run});
  doc["created"] = reports::utc_timestamp();
  if (!write_outputs(doc, json_path, report_dir)) return 3;
  if (!quiet) std::cout << reports::terminal_summary(doc, {});
  return 0;
}

}  // namespace sigtrust::cli
