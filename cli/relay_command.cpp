#include "cli/relay_command.hpp"

#include <sys/resource.h>

#include <boost/program_options.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include "attacks/registry.hpp"
#include "cli/live_support.hpp"
#include "cli/matrix_command.hpp"
#include "cli/outputs.hpp"
#include "reports/escape.hpp"
#include "reports/json_report.hpp"
#include "reports/terminal_report.hpp"
#include "sim/attack.hpp"
#include "core/c_entry.hpp"
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

// The options of `sigtrust relay` and `sigtrust proxy`, as given.
struct LiveOptions {
  std::string listen = "127.0.0.1:8765", attack_name = "none", json_path, report_dir, key_log_path, media_dir;
  std::string protocol, peerjs_key = "peerjs", peerjs_path = "/", peerjs_script;
  std::string upstream, sdp_path, candidate_path;
  double upstream_timeout_s = 5;
  std::vector<std::string> rewrites;
  double duration_s = 3600;
  bool quiet = false;
};

po::options_description live_options(const std::string& command, bool proxy, LiveOptions& o) {
  po::options_description opts(command + " options");
  o.protocol = proxy ? "peerjs" : "sigtrust";
  opts.add_options()  //
      ("listen", po::value(&o.listen), "HOST:PORT to serve on (a 127.0.0.0/8 address; port 0: any)")  //
      ("attack", po::value(&o.attack_name), "a signaling-position attack (sigtrust list attacks), or none")  //
      ("rewrite", po::value(&o.rewrites), "FROM=TO: the attacker changes FROM to TO in chat messages (repeatable)")  //
      ("json", po::value(&o.json_path), "write the result document (JSON) here when stopped")  //
      ("report-dir", po::value(&o.report_dir), "write every report (and keys.log) here when stopped")  //
      ("key-log", po::value(&o.key_log_path), "write the attacker's DTLS secrets (NSS key log) here")  //
      ("media-dir", po::value(&o.media_dir),
       "write the audio and video the attacker decrypts here (default: REPORT-DIR/media)")  //
      ("duration", po::value(&o.duration_s), "stop after this many seconds (default 3600)")  //
      ("peerjs-script", po::value(&o.peerjs_script),
       "--protocol peerjs: serve this file (PeerJS's browser bundle, peerjs.min.js) at /sigtrust/peerjs.min.js for the "
       "wallet page")  //
      ("quiet,q", po::bool_switch(&o.quiet), "log nothing but the URL");
  if (proxy)
    opts.add_options()  //
        ("upstream", po::value(&o.upstream),
         "the signaling server to sit in front of: http://127.x.y.z:PORT (loopback only)")  //
        ("protocol", po::value(&o.protocol), "its signaling: peerjs (default; a PeerServer) or json (--sdp-path)")  //
        ("sdp-path", po::value(&o.sdp_path),
         "--protocol json: JSON Pointer (RFC 6901) to the SDP in a message, e.g. /data/sdp")  //
        ("upstream-timeout", po::value(&o.upstream_timeout_s),
         "seconds to wait for the upstream to answer a request or a WebSocket handshake (default 5)")  //
        ("candidate-path", po::value(&o.candidate_path),
         "--protocol json: JSON Pointer to a trickled candidate (a candidate line, or an object with one under "
         "\"candidate\")");
  else
    opts.add_options()  //
        ("protocol", po::value(&o.protocol),
         "the signaling protocol served: sigtrust (default) or peerjs (a PeerServer)")  //
        ("peerjs-key", po::value(&o.peerjs_key), "--protocol peerjs: the PeerServer key (default peerjs)")  //
        ("peerjs-path", po::value(&o.peerjs_path), "--protocol peerjs: the PeerServer path (default /)");
  return opts;
}

// --listen HOST:PORT, checked: a loopback IPv4 address and a port.
std::pair<std::string, std::uint16_t> listen_address(const std::string& listen) {
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
  return {host, static_cast<std::uint16_t>(port)};
}

// `sigtrust proxy`'s options checked: the upstream and how to read its messages.
ProxyOptions proxy_options_of(const LiveOptions& o) {
  ProxyOptions proxy_options;
  if (o.protocol != "json" && o.protocol != "peerjs")
    throw UsageError("--protocol: peerjs or json, not '" + o.protocol + "'");
  if (o.upstream.empty()) throw UsageError("--upstream URL is required");
  if (const auto why = upstream_problem(o.upstream)) throw UsageError("--upstream: " + *why);
  proxy_options.upstream = o.upstream;
  if (!(o.upstream_timeout_s >= 0.1) || o.upstream_timeout_s > 600)
    throw UsageError("--upstream-timeout: between 0.1 and 600 seconds");
  proxy_options.upstream_timeout = std::chrono::milliseconds(static_cast<long long>(o.upstream_timeout_s * 1000));
  proxy_options.protocol = o.protocol == "json" ? ProxyOptions::Protocol::Json : ProxyOptions::Protocol::PeerJs;
  if (o.protocol == "json") {
    if (o.sdp_path.empty()) throw UsageError("--protocol json needs --sdp-path (a JSON Pointer)");
    auto sdp_pointer = parse_json_pointer(o.sdp_path);
    if (!sdp_pointer) throw UsageError("--sdp-path: " + sdp_pointer.error().message);
    proxy_options.paths.sdp = *sdp_pointer;
    if (!o.candidate_path.empty()) {
      auto c = parse_json_pointer(o.candidate_path);
      if (!c) throw UsageError("--candidate-path: " + c.error().message);
      proxy_options.paths.candidate = *c;
    }
  } else if (!o.sdp_path.empty() || !o.candidate_path.empty()) {
    throw UsageError("--sdp-path and --candidate-path go with --protocol json");
  }
  return proxy_options;
}

// --attack: a signaling-position attack (or none), with its default parameters.
const attacks::AttackPlugin& live_attack(const std::string& attack_name) {
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
  return *plugin;
}

// --rewrite FROM=TO...: only a bridge reads the chat (declared with the
// attack, as the scenario loader checks it).
std::vector<scenario::RewriteRule> rewrite_rules(const LiveOptions& o, const attacks::AttackPlugin& plugin) {
  if (!o.rewrites.empty() && !plugin.decl.bridges) {
    std::string bridging;
    for (const auto& p : attacks::registry())
      if (p.decl.bridges) bridging += (bridging.empty() ? "" : ", ") + p.decl.name;
    throw UsageError("--rewrite needs an attack that bridges the chat (" + bridging + "), not '" + o.attack_name + "'");
  }
  std::vector<scenario::RewriteRule> rules;
  for (const auto& r : o.rewrites) {
    const auto eq = r.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--rewrite wants FROM=TO, got '" + r + "'");
    scenario::RewriteRule rule;
    rule.from = r.substr(0, eq);
    rule.to = r.substr(eq + 1);
    rules.push_back(rule);
  }
  return rules;
}

// Everything the options decide, checked before anything listens (a usage error, exit 2).
struct LiveSetup {
  std::string host;
  std::uint16_t port = 0;
  ProxyOptions proxy_options;
  std::string peerjs_bundle;
  const attacks::AttackPlugin* plugin = nullptr;
  ParamValues params;
  std::vector<scenario::RewriteRule> rules;
  std::string media_dir;
};

LiveSetup live_setup(const LiveOptions& o, bool proxy) {
  check_output_file(o.json_path, "--json");
  check_output_file(o.key_log_path, "--key-log");
  LiveSetup setup;
  std::tie(setup.host, setup.port) = listen_address(o.listen);
  if (!(o.duration_s > 0) || o.duration_s > 7 * 24 * 3600) throw UsageError("--duration: between 0 and 604800 seconds");
  if (!proxy && o.protocol != "sigtrust" && o.protocol != "peerjs")
    throw UsageError("--protocol: sigtrust or peerjs, not '" + o.protocol + "'");
  if (proxy) setup.proxy_options = proxy_options_of(o);
  if (!o.peerjs_script.empty()) {
    if (o.protocol != "peerjs") throw UsageError("--peerjs-script goes with --protocol peerjs");
    setup.peerjs_bundle = read_small_file(o.peerjs_script, "--peerjs-script");
  }
  setup.plugin = &live_attack(o.attack_name);
  for (const auto& d : setup.plugin->decl.params) setup.params[d.name] = d.default_value;
  setup.rules = rewrite_rules(o, *setup.plugin);
  setup.media_dir = o.media_dir;
  if (setup.media_dir.empty() && !o.report_dir.empty() && setup.plugin->decl.bridges)
    setup.media_dir = o.report_dir + "/media";
  if (!setup.media_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(setup.media_dir, ec);
    if (ec) throw UsageError("--media-dir: cannot create '" + setup.media_dir + "': " + ec.message());
  }
  return setup;
}

// What listens: the relay, a PeerServer, or the proxy in front of another server.
struct LiveServers {
  std::unique_ptr<SignalingRelay> relay;
  std::unique_ptr<PeerJsServer> peerjs;
  std::unique_ptr<SignalingProxy> front;
  std::string base;  // host:port

  // Closes the clients (before the attacker's agents go).
  void reset() {
    relay.reset();
    peerjs.reset();
    front.reset();
  }
};

// Throws SignalingRelay::Failure when it cannot listen.
LiveServers start_servers(MainLoop& loop, Timeline& timeline, const LiveOptions& o, const LiveSetup& setup, bool proxy,
                          SignalingInterceptor& recorder) {
  LiveServers s;
  const std::string& host = setup.host;
  if (proxy) {
    s.front = std::make_unique<SignalingProxy>(loop, host, timeline, setup.proxy_options, setup.port);
    s.front->set_interceptor(&recorder);
    if (o.protocol == "peerjs") s.front->serve("/", "text/html; charset=utf-8", kSigtrustWalletPage);
    if (!setup.peerjs_bundle.empty()) s.front->serve("/sigtrust/peerjs.min.js", "text/javascript", setup.peerjs_bundle);
    s.base = host + ":" + std::to_string(s.front->port());
  } else if (o.protocol == "peerjs") {
    PeerJsLimits limits;
    limits.key = o.peerjs_key;
    limits.path = o.peerjs_path;
    s.peerjs = std::make_unique<PeerJsServer>(loop, host, timeline, limits, setup.port);
    s.peerjs->set_interceptor(&recorder);
    s.peerjs->serve("/", "text/html; charset=utf-8", kSigtrustWalletPage);
    if (!setup.peerjs_bundle.empty())
      s.peerjs->serve("/sigtrust/peerjs.min.js", "text/javascript", setup.peerjs_bundle);
    s.base = host + ":" + std::to_string(s.peerjs->port());
  } else {
    s.relay = std::make_unique<SignalingRelay>(loop, host, timeline, RelayLimits{}, setup.port);
    s.relay->set_interceptor(&recorder);
    s.relay->serve_page(kSigtrustDemoPage);
    s.base = host + ":" + std::to_string(s.relay->port());
  }
  return s;
}

void print_banner(const LiveServers& s, const LiveOptions& o, const LiveSetup& setup) {
  const char* base = s.base.c_str();
  const char* attack = o.attack_name.c_str();
  if (s.front)
    std::printf("sigtrust proxy (%s) on http://%s in front of %s  (attack: %s)\ndemo page: http://%s/\n",
                o.protocol.c_str(), base, setup.proxy_options.upstream.c_str(), attack, base);
  else if (s.peerjs)
    std::printf("sigtrust relay (PeerServer: key %s, path %s) on http://%s  (attack: %s)\ndemo page: http://%s/\n",
                o.peerjs_key.c_str(), o.peerjs_path.c_str(), base, attack, base);
  else std::printf("sigtrust relay on ws://%s/ROOM  (attack: %s)\ndemo page: http://%s/\n", base, attack, base);
  std::fflush(stdout);
}

// The run's header: what served, where, with which attack.
RunResult live_result_header(const LiveServers& s, const LiveOptions& o, const LiveSetup& setup) {
  RunResult run;
  run.scenario = s.front ? "live-proxy-" + o.protocol : s.peerjs ? "live-relay-peerjs" : "live-relay";
  run.file = (s.front || s.peerjs ? "http://" : "ws://") + s.base;
  if (s.front) run.file += " -> " + setup.proxy_options.upstream;
  run.attack = o.attack_name;
  run.trust = "sdp-fingerprint";
  run.network = setup.host + "/32";
  return run;
}

// `sigtrust relay` and `sigtrust proxy` differ only in what listens: the
// signaling server itself, or a proxy in front of an existing one.
int live_command(const std::string& command, const std::vector<std::string>& argv, const std::atomic<bool>* stop) {
  const bool proxy = command == "proxy";
  LiveOptions o;
  const auto opts = live_options(command, proxy, o);
  if (!parse(command, argv, opts)) return 0;
  const LiveSetup setup = live_setup(o, proxy);
  KeyLogs key_logs(o.key_log_path, o.report_dir);
  raise_descriptor_limit();

  MainLoop loop;
  MainLoop::ThreadDefault td(loop);
  Timeline timeline;
  if (!o.quiet)
    timeline.set_listener([](const TimelineEvent& e) {
      // Text from the network (chat, labels) goes to a terminal: escaped.
      std::printf("[%9.1f ms] %-8s %-22s %s\n", e.t_ms, e.actor.c_str(), e.kind.c_str(),
                  reports::terminal_escape(e.text).c_str());
      std::fflush(stdout);
    });
  // An exception stopped at a C callback (the attacker's agents, timers) is a relay.error event.
  CEntryReporter c_entries([&timeline](const std::string& where, const std::string& what) {
    timeline.add("relay", events::kRelayError, where + ": " + what);
  });
  CertificateRegistry registry;
  std::map<std::string, AttackerSessionReport> attacker_sessions;
  const std::string attacker = "mallory";
  // The relay, not the attack, writes the ground truth (see AttackWorld).
  auto present = [&registry, attacker](const Certificate& c) { registry.add(c, attacker); };
  AttackWorld world{loop,
                    timeline,
                    present,
                    setup.host,
                    attacker,
                    setup.params,
                    setup.rules,
                    attacker_sessions,
                    [&](const std::string& line) { key_logs.write(line); },
                    setup.media_dir,
                    {}};
  std::unique_ptr<Attack> attack;
  if (o.attack_name != "none") attack = attacks::make_attack(o.attack_name, world);
  LiveRecorder recorder(registry, attack ? attack->signaling() : nullptr, &timeline);

  LiveServers servers;
  try {
    servers = start_servers(loop, timeline, o, setup, proxy, recorder);
  } catch (const SignalingRelay::Failure& e) {
    std::cerr << "sigtrust: relay: " << e.what() << "\n";
    return 3;
  }
  print_banner(servers, o, setup);

  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<long long>(o.duration_s * 1000));
  loop.run_until([&] { return stop && stop->load(); }, deadline, std::chrono::milliseconds(100));
  const bool by_signal = stop && stop->load();
  timeline.add("relay", events::kRelayStopped,
               by_signal ? "stopped by signal " + std::to_string(stop_signal()) : "stopped: --duration reached");
  timeline.set_listener(nullptr);

  RunResult run = live_result_header(servers, o, setup);
  run.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  run.sessions = judge_live_rooms(recorder, attacker_sessions, registry, timeline);
  run.timeline = timeline.events();
  servers.reset();  // closes the clients before the attacker's agents go
  attack.reset();

  auto doc = reports::result_document({run});
  doc["created"] = reports::utc_timestamp();
  if (!write_outputs(doc, o.json_path, o.report_dir)) return 3;
  if (!o.quiet) std::cout << reports::terminal_summary(doc, {});
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
