#include "cli/relay_command.hpp"

#include <sys/resource.h>

#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "attacks/registry.hpp"
#include "cli/live_support.hpp"
#include "cli/matrix_command.hpp"
#include "cli/outputs.hpp"
#include "reports/escape.hpp"
#include "reports/json_report.hpp"
#include "reports/terminal_report.hpp"
#include "sim/attack.hpp"
#include "core/timeline_events.hpp"
#include "net/certificate.hpp"
#include "sim/child_processes.hpp"
#include "sim/live_session.hpp"
#include "net/peerjs_server.hpp"
#include "net/signaling_proxy.hpp"
#include "net/signaling_relay.hpp"

extern const char* const kSigtrustDemoPage;  // web/demo.html, embedded by cli/CMakeLists.txt
extern const char* const kSigtrustWalletPage;  // web/wallet.html (PeerJS), embedded likewise

namespace sigtrust::cli {
namespace {

namespace po = boost::program_options;

// Many sessions, each a few sockets: as much of the hard limit as there is.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// `sigtrust relay` and `sigtrust proxy` differ only in what listens: the
// signaling server itself, or a proxy in front of an existing one.
int live_command(const std::string& command, const std::vector<std::string>& argv, const std::atomic<bool>* stop) {
  const bool proxy = command == "proxy";
  po::options_description opts(command + " options");
  std::string listen = "127.0.0.1:8765", attack_name = "none", json_path, report_dir, key_log_path, media_dir;
  std::string protocol = proxy ? "peerjs" : "sigtrust", peerjs_key = "peerjs", peerjs_path = "/", peerjs_script;
  std::string upstream, sdp_path, candidate_path;
  double upstream_timeout_s = 5;
  std::vector<std::string> rewrites;
  double duration_s = 3600;
  opts.add_options()  //
      ("listen", po::value(&listen), "HOST:PORT to serve on (a 127.0.0.0/8 address; port 0: any)")  //
      ("attack", po::value(&attack_name), "a signaling-position attack (sigtrust list attacks), or none")  //
      ("rewrite", po::value(&rewrites), "FROM=TO: the attacker changes FROM to TO in chat messages (repeatable)")  //
      ("json", po::value(&json_path), "write the result document (JSON) here when stopped")  //
      ("report-dir", po::value(&report_dir), "write every report (and keys.log) here when stopped")  //
      ("key-log", po::value(&key_log_path), "write the attacker's DTLS secrets (NSS key log) here")  //
      ("media-dir", po::value(&media_dir), "write the audio the attacker decrypts here (default: REPORT-DIR/media)")  //
      ("duration", po::value(&duration_s), "stop after this many seconds (default 3600)")  //
      ("peerjs-script", po::value(&peerjs_script),
       "--protocol peerjs: serve this file (PeerJS's browser bundle, peerjs.min.js) at /sigtrust/peerjs.min.js for the "
       "wallet page")  //
      ("quiet,q", "log nothing but the URL");
  if (proxy)
    opts.add_options()  //
        ("upstream", po::value(&upstream),
         "the signaling server to sit in front of: http://127.x.y.z:PORT (loopback only)")  //
        ("protocol", po::value(&protocol), "its signaling: peerjs (default; a PeerServer) or json (--sdp-path)")  //
        ("sdp-path", po::value(&sdp_path),
         "--protocol json: JSON Pointer (RFC 6901) to the SDP in a message, e.g. /data/sdp")  //
        ("upstream-timeout", po::value(&upstream_timeout_s),
         "seconds to wait for the upstream to answer a request or a WebSocket handshake (default 5)")  //
        ("candidate-path", po::value(&candidate_path),
         "--protocol json: JSON Pointer to a trickled candidate (a candidate line, or an object with one under "
         "\"candidate\")");
  else
    opts.add_options()  //
        ("protocol", po::value(&protocol),
         "the signaling protocol served: sigtrust (default) or peerjs (a PeerServer)")  //
        ("peerjs-key", po::value(&peerjs_key), "--protocol peerjs: the PeerServer key (default peerjs)")  //
        ("peerjs-path", po::value(&peerjs_path), "--protocol peerjs: the PeerServer path (default /)");
  const auto parsed = parse(command, argv, opts);
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
  } catch (const std::exception&) {}
  if (port < 0 || port > 65535)
    throw UsageError("--listen: '" + listen.substr(colon + 1) + "' is not a port (0-65535)");
  if (!loopback_ipv4(host))
    throw UsageError("--listen: the relay serves loopback only (an IPv4 address in 127.0.0.0/8), not '" + host + "'");
  if (!(duration_s > 0) || duration_s > 7 * 24 * 3600) throw UsageError("--duration: between 0 and 604800 seconds");
  if (!proxy && protocol != "sigtrust" && protocol != "peerjs")
    throw UsageError("--protocol: sigtrust or peerjs, not '" + protocol + "'");
  ProxyOptions proxy_options;
  if (proxy) {
    if (protocol != "json" && protocol != "peerjs")
      throw UsageError("--protocol: peerjs or json, not '" + protocol + "'");
    if (upstream.empty()) throw UsageError("--upstream URL is required");
    if (const auto why = upstream_problem(upstream)) throw UsageError("--upstream: " + *why);
    proxy_options.upstream = upstream;
    if (!(upstream_timeout_s >= 0.1) || upstream_timeout_s > 600)
      throw UsageError("--upstream-timeout: between 0.1 and 600 seconds");
    proxy_options.upstream_timeout = std::chrono::milliseconds(static_cast<long long>(upstream_timeout_s * 1000));
    proxy_options.protocol = protocol == "json" ? ProxyOptions::Protocol::Json : ProxyOptions::Protocol::PeerJs;
    if (protocol == "json") {
      if (sdp_path.empty()) throw UsageError("--protocol json needs --sdp-path (a JSON Pointer)");
      auto sdp_pointer = parse_json_pointer(sdp_path);
      if (!sdp_pointer) throw UsageError("--sdp-path: " + sdp_pointer.error().message);
      proxy_options.paths.sdp = *sdp_pointer;
      if (!candidate_path.empty()) {
        auto c = parse_json_pointer(candidate_path);
        if (!c) throw UsageError("--candidate-path: " + c.error().message);
        proxy_options.paths.candidate = *c;
      }
    } else if (!sdp_path.empty() || !candidate_path.empty()) {
      throw UsageError("--sdp-path and --candidate-path go with --protocol json");
    }
  }
  std::string peerjs_bundle;
  if (!peerjs_script.empty()) {
    if (protocol != "peerjs") throw UsageError("--peerjs-script goes with --protocol peerjs");
    peerjs_bundle = read_small_file(peerjs_script, "--peerjs-script");
  }

  const attacks::AttackPlugin* plugin = nullptr;
  for (const auto& p : attacks::registry())
    if (p.decl.name == attack_name) plugin = &p;
  if (!plugin) throw UsageError("unknown attack '" + attack_name + "' (sigtrust list attacks)");
  if (plugin->decl.position != AttackPosition::Signaling && plugin->decl.position != AttackPosition::None)
    throw UsageError("attack '" + attack_name + "' sits at the " + std::string(to_string(plugin->decl.position)) +
                     " position; the live relay carries only signaling-position attacks");
  if (plugin->decl.declarative)
    throw UsageError("attack '" + attack_name +
                     "' takes its rules from a scenario file (sdp_rules); run it with "
                     "'sigtrust run FILE'");
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

  if (media_dir.empty() && !report_dir.empty() && plugin->decl.bridges) media_dir = report_dir + "/media";
  if (!media_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(media_dir, ec);
    if (ec) throw UsageError("--media-dir: cannot create '" + media_dir + "': " + ec.message());
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
  const std::string attacker = "mallory";
  // The relay, not the attack, writes the ground truth (see AttackWorld).
  auto present = [&registry, attacker](const Certificate& c) { registry.add(c.fingerprint(), attacker); };
  AttackWorld world{loop,
                    timeline,
                    present,
                    host,
                    attacker,
                    params,
                    rules,
                    attacker_sessions,
                    [&](const std::string& line) { key_logs.write(line); },
                    media_dir,
                    {}};
  std::unique_ptr<Attack> attack;
  if (attack_name != "none") attack = attacks::make_attack(attack_name, world);
  LiveRecorder recorder(registry, attack ? attack->signaling() : nullptr, &timeline);

  std::unique_ptr<SignalingRelay> relay;
  std::unique_ptr<PeerJsServer> peerjs;
  std::unique_ptr<SignalingProxy> front;
  std::string base;
  try {
    if (proxy) {
      front = std::make_unique<SignalingProxy>(loop, host, timeline, proxy_options, static_cast<std::uint16_t>(port));
      front->set_interceptor(&recorder);
      if (protocol == "peerjs") front->serve("/", "text/html; charset=utf-8", kSigtrustWalletPage);
      if (!peerjs_bundle.empty()) front->serve("/sigtrust/peerjs.min.js", "text/javascript", peerjs_bundle);
      base = host + ":" + std::to_string(front->port());
    } else if (protocol == "peerjs") {
      PeerJsLimits limits;
      limits.key = peerjs_key;
      limits.path = peerjs_path;
      peerjs = std::make_unique<PeerJsServer>(loop, host, timeline, limits, static_cast<std::uint16_t>(port));
      peerjs->set_interceptor(&recorder);
      peerjs->serve("/", "text/html; charset=utf-8", kSigtrustWalletPage);
      if (!peerjs_bundle.empty()) peerjs->serve("/sigtrust/peerjs.min.js", "text/javascript", peerjs_bundle);
      base = host + ":" + std::to_string(peerjs->port());
    } else {
      relay = std::make_unique<SignalingRelay>(loop, host, timeline, RelayLimits{}, static_cast<std::uint16_t>(port));
      relay->set_interceptor(&recorder);
      relay->serve_page(kSigtrustDemoPage);
      base = host + ":" + std::to_string(relay->port());
    }
  } catch (const SignalingRelay::Failure& e) {
    std::cerr << "sigtrust: relay: " << e.what() << "\n";
    return 3;
  }
  if (front)
    std::printf("sigtrust proxy (%s) on http://%s in front of %s  (attack: %s)\ndemo page: http://%s/\n",
                protocol.c_str(), base.c_str(), proxy_options.upstream.c_str(), attack_name.c_str(), base.c_str());
  else if (peerjs)
    std::printf("sigtrust relay (PeerServer: key %s, path %s) on http://%s  (attack: %s)\ndemo page: http://%s/\n",
                peerjs_key.c_str(), peerjs_path.c_str(), base.c_str(), attack_name.c_str(), base.c_str());
  else
    std::printf("sigtrust relay on ws://%s/ROOM  (attack: %s)\ndemo page: http://%s/\n", base.c_str(),
                attack_name.c_str(), base.c_str());
  std::fflush(stdout);

  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<long long>(duration_s * 1000));
  loop.run_until([&] { return stop && stop->load(); }, deadline, std::chrono::milliseconds(100));
  const bool by_signal = stop && stop->load();
  timeline.add("relay", events::kRelayStopped,
               by_signal ? "stopped by signal " + std::to_string(stop_signal()) : "stopped: --duration reached");
  timeline.set_listener(nullptr);

  RunResult run;
  run.scenario = front ? "live-proxy-" + protocol : peerjs ? "live-relay-peerjs" : "live-relay";
  run.file = (front || peerjs ? "http://" : "ws://") + base;
  if (front) run.file += " -> " + proxy_options.upstream;
  run.attack = attack_name;
  run.trust = "sdp-fingerprint";
  run.network = host + "/32";
  run.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  for (const auto& [room, r] : recorder.rooms()) {
    if (r.offerer < 0) continue;
    const auto it = attacker_sessions.find(room);
    auto verdict =
        judge_live_session(room, r, it != attacker_sessions.end() ? it->second : AttackerSessionReport{}, registry);
    SessionResult& s = verdict.session;
    timeline.add("relay", events::kRelayOutcome,
                 "room " + room + ": " + std::string(to_string(s.outcome)) + " — " + verdict.why);
    run.sessions.push_back(std::move(s));
  }
  run.timeline = timeline.events();
  relay.reset();  // closes the clients before the attacker's agents go
  peerjs.reset();
  front.reset();
  attack.reset();

  auto doc = reports::result_document({run});
  doc["created"] = reports::utc_timestamp();
  if (!write_outputs(doc, json_path, report_dir)) return 3;
  if (!quiet) std::cout << reports::terminal_summary(doc, {});
  // Stopping the relay by a signal is how it ends, not an interruption: 0.
  return exit_status({run}, 0);
}

}  // namespace

int relay_command(const std::vector<std::string>& argv, const std::atomic<bool>* stop) {
  return live_command("relay", argv, stop);
}

int proxy_command(const std::vector<std::string>& argv, const std::atomic<bool>* stop) {
  return live_command("proxy", argv, stop);
}

}  // namespace sigtrust::cli
