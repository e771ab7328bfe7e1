#include "sim/engine.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <optional>

#include "net/certificate.hpp"
#include "trust/identity_provider.hpp"
#include "sim/net_plan.hpp"
#include "trust/out_of_band.hpp"
#include "sim/peer.hpp"
#include "net/signaling_relay.hpp"
#include "sim/engine_steps.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust {

const Certificate& CertificateStore::get(const std::string& identity) {
  std::lock_guard lock(mu_);
  auto& slot = certs_[identity];
  if (!slot) slot = std::make_unique<Certificate>(identity);
  return *slot;
}

const SigningKey& CertificateStore::long_term_key(const std::string& identity) {
  std::lock_guard lock(mu_);
  auto& slot = keys_[identity];
  if (!slot) slot = std::make_unique<SigningKey>();
  return *slot;
}

namespace {

using engine::IceServers;

bool settled_pair(const Peer& a, const Peer& b) {
  return (a.settled() && b.settled()) ||
         // One side failed and the other can expect nothing more from it.
         (a.failed() && (b.settled() || b.report().sent.size() == b.config().outgoing.size())) ||
         (b.failed() && (a.settled() || a.report().sent.size() == a.config().outgoing.size()));
}

// What the unsettled ones among `peers` were waiting for, "alice was waiting for ...; bob ...".
std::string waiting_for(std::initializer_list<const Peer*> peers) {
  std::string waiting;
  for (const Peer* p : peers)
    if (!p->settled())
      waiting += (waiting.empty() ? "" : "; ") + p->config().name + " was waiting for " + p->waiting_for();
  return waiting;
}

// Every live pair holds about seven descriptors (two UDP sockets, two
// WebSocket clients, the relay's two ends, a DTLS timer's none): a `scale`
// run of a few hundred pairs needs more than the usual soft limit of 1024,
// and past it sockets fail to open and sessions time out. Raise the soft
// limit towards the hard one, as servers do; fail clearly if even that is short.
void ensure_descriptors(size_t sessions) {
  const rlim_t wanted = 64 + 10 * static_cast<rlim_t>(sessions);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(limit.rlim_max, wanted);
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) raised.rlim_cur = limit.rlim_cur;
  if (raised.rlim_cur < wanted)
    throw std::runtime_error("a run of " + std::to_string(sessions) + " sessions needs about " +
                             std::to_string(wanted) + " file descriptors; the limit is " +
                             std::to_string(raised.rlim_cur) + " (ulimit -n)");
}

struct World {
  MainLoop loop;
  std::unique_ptr<MainLoop::ThreadDefault> thread_default;
  Timeline timeline;
  CertificateRegistry registry;
  std::map<std::string, AttackerSessionReport> attacker_sessions;
  std::unique_ptr<SignalingRelay> relay;
  std::unique_ptr<AttackWorld> attack_world;  // outlives the attack that refers to it
  std::unique_ptr<Attack> attack;
  CoturnService coturn;  // used when the caller shares none; declared first, so it outlives the peers
  std::unique_ptr<IdentityProvider> idp;
  std::vector<std::unique_ptr<OutOfBand>> oob;  // per session that declares one
  std::map<std::string, TofuStore> tofu;  // per peer, kept across rounds
  std::vector<std::unique_ptr<Peer>> peers;  // in session order: offerer, answerer, ...
  // The main context and relay of each batch of a large round (see run_batch).
  struct Shard {
    MainLoop loop;
    std::unique_ptr<SignalingRelay> relay;
  };
  std::vector<std::unique_ptr<Shard>> shards;
  World() : thread_default(std::make_unique<MainLoop::ThreadDefault>(loop)) {}
  ~World() {
    // Peers and the attack hold libnice/libsoup objects on this context: they
    // go first, then the relay, then the context stops being thread-default.
    peers.clear();
    oob.clear();
    shards.clear();
    if (relay) relay->set_interceptor(nullptr);  // nothing may reach the attack once it is gone
    attack.reset();
    relay.reset();
    thread_default.reset();
  }
};

// Long-term keys exist before any session: peers pinned each other's
// (pinned-key). Made only where a peer uses them, and the map is shared by
// every peer (a copy per peer would grow with the square of the peers).
struct Keys {
  bool pinning = false;
  std::shared_ptr<std::map<std::string, const PublicKey*>> pinned;
};

// One run in progress: what every step reads and writes.
struct Run {
  const scenario::Scenario& s;
  const EngineOptions& options;
  CertificateStore& store;
  NetPlan& plan;
  World& world;
  RunResult& result;
  Clock::time_point deadline;
  std::map<std::string, unsigned> peer_indices;
  IceServers servers;
  Keys keys;

  bool stopped() const { return options.stop && options.stop->load(); }
  unsigned peer_index(const std::string& name) const {
    auto it = peer_indices.find(name);
    return it == peer_indices.end() ? 0u : it->second;
  }
  bool session_settled(size_t si) const { return settled_pair(*world.peers[2 * si], *world.peers[2 * si + 1]); }
};

// The relay, the ground truth of the peers' certificates, and the attack.
void set_up_world(Run& run) {
  World& w = run.world;
  ensure_descriptors(run.s.sessions.size());
  for (const auto& p : run.s.peers) w.registry.add(run.store.get(p.name), p.name);
  for (size_t i = 0; i < run.s.peers.size(); ++i)
    run.peer_indices.emplace(run.s.peers[i].name, static_cast<unsigned>(i));
  w.relay = std::make_unique<SignalingRelay>(w.loop, run.plan.relay(), w.timeline);
  w.timeline.add("engine", events::kRunStart,
                 "run on " + run.result.network + "; relay at " + w.relay->url() + "; attack " + run.s.attack.name);
  if (run.s.attack.name == "none") return;
  if (!run.options.make_attack) throw std::runtime_error("no attack factory for '" + run.s.attack.name + "'");
  // The engine, not the attack, writes the ground truth: what the attack
  // presents is bound to the attacker's name, and a certificate that is
  // already a peer's is refused (the run then ends `error`).
  const std::string attacker = "mallory";
  auto present = [registry = &w.registry, attacker](const Certificate& c) { registry->add(c, attacker); };
  w.attack_world.reset(new AttackWorld{w.loop, w.timeline, present, run.plan.attacker(), attacker, run.s.attack.params,
                                       run.s.attack.rewrite, w.attacker_sessions, run.options.key_log,
                                       run.options.media_dir, run.s.attack.sdp_rules});
  w.attack = run.options.make_attack(run.s.attack.name, *w.attack_world);
  if (!w.attack) throw std::runtime_error("unknown attack '" + run.s.attack.name + "'");
  w.relay->set_interceptor(w.attack->signaling());
}

// STUN/TURN nodes: the attacker's at its position, else the honest coturn.
// A session the attacker leaves alone uses the honest ones (or none).
IceServers choose_ice_servers(Run& run) {
  IceServers servers;
  if (run.s.stun == "coturn" || run.s.turn == "coturn") {
    CoturnService& service = run.options.coturn ? *run.options.coturn : run.world.coturn;
    auto server = service.get();
    if (!server) throw std::runtime_error(server.error().message);
    if (run.s.stun == "coturn") servers.stun = *server;
    if (run.s.turn == "coturn") servers.turn = *server;
    run.world.timeline.add("engine", events::kCoturn,
                           "coturn serves STUN/TURN on " + server->address + ":" + std::to_string(server->port));
  }
  if (run.world.attack) {
    servers.attacker_stun = run.world.attack->stun_server();
    servers.attacker_turn = run.world.attack->turn_server();
  }
  return servers;
}

bool uses_trust(const scenario::PeerSpec& p, const std::string& prefix) {
  return std::any_of(p.trust.begin(), p.trust.end(), [&](const std::string& t) { return t.rfind(prefix, 0) == 0; });
}

// Pinned long-term keys and the IdP's signing key, each only where a peer
// uses them: key generation would otherwise be per-run work every run pays.
Keys make_keys(Run& run) {
  Keys keys;
  keys.pinning = std::any_of(run.s.peers.begin(), run.s.peers.end(), [](const scenario::PeerSpec& p) {
    return std::find(p.trust.begin(), p.trust.end(), "pinned-key") != p.trust.end();
  });
  keys.pinned = std::make_shared<std::map<std::string, const PublicKey*>>();
  if (keys.pinning)
    for (const auto& p : run.s.peers) (*keys.pinned)[p.name] = &run.store.long_term_key(p.name).public_key();
  if (std::any_of(run.s.peers.begin(), run.s.peers.end(), [](const auto& p) { return uses_trust(p, "identity"); }))
    run.world.idp = std::make_unique<IdentityProvider>();
  return keys;
}

// The two peers of session `si`, on `loop`, signaling through `relay`.
void make_session_peers(Run& run, size_t si, MainLoop& loop, const SignalingRelay& relay) {
  World& w = run.world;
  const auto& sess = run.s.sessions[si];
  if (!sess.attacked) {
    const std::string room = engine::room_of(si, sess);
    w.relay->bypass(room);
    if (w.attack) w.timeline.add("engine", events::kSessionUnattacked, "the relay leaves " + room + " alone");
  }
  OutOfBand* oob = nullptr;
  if (sess.out_of_band) {
    oob = w.oob.emplace_back(std::make_unique<OutOfBand>(loop, run.s.seed, si)).get();
    // What the users exchanged beforehand, e.g. by scanning each other's QR code.
    oob->publish_fingerprint(sess.offerer, run.store.get(sess.offerer).fingerprint());
    oob->publish_fingerprint(sess.answerer, run.store.get(sess.answerer).fingerprint());
  }
  for (int side = 0; side < 2; ++side) {
    const std::string& me = side == 0 ? sess.offerer : sess.answerer;
    engine::PeerPlacement where;
    where.session = si;
    where.offerer = side == 0;
    where.peer_index = run.peer_index(me);
    where.address = run.plan.peer(where.peer_index);
    where.relay_url = relay.url();
    where.trust.oob = oob;
    where.trust.idp = w.idp.get();
    where.trust.own_key = run.keys.pinning ? &run.store.long_term_key(me) : nullptr;
    where.trust.pinned_key = [pinned = run.keys.pinned](const std::string& who) -> const PublicKey* {
      auto it = pinned->find(who);
      return it == pinned->end() ? nullptr : it->second;
    };
    where.trust.tofu = &w.tofu[me];
    PeerConfig pc = engine::peer_config(run.s, where, run.servers);
    pc.key_log = run.options.key_log;
    w.peers[2 * si + side] = std::make_unique<Peer>(loop, run.store.get(me), std::move(pc), w.timeline);
  }
}

// How a batch ended: every session settled, or the run ends here.
enum class BatchEnd { Settled, Interrupted, Deadline };

// Starts the sessions of one batch and drives the loop until they settle,
// the deadline passes or the run is stopped. A round of more than
// kBatchSessions sessions is started in batches: hundreds of peers
// connecting at once on one loop miss ICE and WebSocket timeouts. In an
// honest run on direct paths each batch also gets its own main context and
// relay: a GLib iteration polls every source of its context, so on one
// context each step would cost more the more connections are open, and the
// round would grow with the square of its size. The connections of a
// finished batch stay open (sockets, ICE agents, DTLS sessions) until the
// run ends; their context is simply not iterated while nothing is left to do
// on it. An attack's nodes, and the TURN allocations released at teardown,
// live on the run's loop, so there the batches share it.
BatchEnd run_batch(Run& run, const std::vector<size_t>& batch, size_t first, size_t round_size, bool batched) {
  World& w = run.world;
  const bool own_contexts = !w.attack && !run.servers.stun && !run.servers.turn;
  MainLoop* loop = &w.loop;
  const SignalingRelay* relay = w.relay.get();
  std::optional<MainLoop::ThreadDefault> batch_default;
  if (batched) {
    if (own_contexts) {
      auto& shard = *w.shards.emplace_back(std::make_unique<World::Shard>());
      batch_default.emplace(shard.loop);
      shard.relay = std::make_unique<SignalingRelay>(shard.loop, run.plan.relay(), w.timeline);
      loop = &shard.loop;
      relay = shard.relay.get();
    }
    w.timeline.add("engine", events::kBatchStart,
                   "sessions " + std::to_string(first + 1) + " to " + std::to_string(first + batch.size()) + " of " +
                       std::to_string(round_size) + "; relay at " + relay->url() +
                       (own_contexts ? " on a main context of their own" : " on the run's main loop"));
  }
  for (const size_t si : batch) make_session_peers(run, si, *loop, *relay);
  for (const size_t si : batch) {
    w.peers[2 * si]->start();
    w.peers[2 * si + 1]->start();
  }
  auto batch_settled = [&] {
    return std::all_of(batch.begin(), batch.end(), [&](size_t si) { return run.session_settled(si); });
  };
  const bool settled = loop->run_until([&] { return run.stopped() || batch_settled(); }, run.deadline,
                                       std::chrono::milliseconds(run.options.stop ? 25 : 0));
  if (run.stopped()) return BatchEnd::Interrupted;
  return settled ? BatchEnd::Settled : BatchEnd::Deadline;
}

// Rounds one after the other; the sessions of a round at once, in batches.
void run_rounds(Run& run) {
  World& w = run.world;
  const auto rounds = engine::rounds_of(run.s);
  w.peers.resize(2 * run.s.sessions.size());
  for (const std::uint32_t round : rounds) {
    const auto batches = engine::batches_of(run.s, round);
    size_t round_size = 0;
    for (const auto& b : batches) round_size += b.size();
    if (rounds.size() > 1) w.timeline.add("engine", events::kRoundStart, "round " + std::to_string(round));
    size_t first = 0;
    for (const auto& batch : batches) {
      const BatchEnd end = run_batch(run, batch, first, round_size, batches.size() > 1);
      if (end == BatchEnd::Interrupted) {
        run.result.interrupted = true;
        w.timeline.add("engine", events::kRunInterrupted, "stopped from outside before the run finished");
        return;
      }
      if (end == BatchEnd::Deadline) {
        run.result.deadline_reached = true;
        std::string waiting;
        for (const size_t si : batch) {
          const std::string w2 = waiting_for({w.peers[2 * si].get(), w.peers[2 * si + 1].get()});
          if (!w2.empty()) waiting += (waiting.empty() ? "" : "; ") + w2;
        }
        if (const size_t later = round_size - first - batch.size(); later > 0)
          waiting += "; " + std::to_string(later) + " session(s) of later batches never started";
        w.timeline.add("engine", events::kRunDeadline,
                       "deadline of " + std::to_string(run.s.deadline_ms) + " ms reached: " + waiting);
        return;
      }
      first += batch.size();
    }
  }
}

// A refused rebinding means someone tried to rewrite the ground truth: no
// verdict of this run can be trusted.
void check_ground_truth(Run& run) {
  if (const auto& refused = run.world.registry.refusals(); !refused.empty() && run.result.error.empty()) {
    run.result.error = "ground truth refused: " + refused.front();
    run.world.timeline.add("engine", events::kRunError, "simulator failure: " + run.result.error);
  }
}

// Ground truth and classification of every session (engine::judge_session).
void judge_sessions(Run& run) {
  World& w = run.world;
  std::string unaccounted;
  for (size_t si = 0; si < run.s.sessions.size(); ++si) {
    engine::SessionEnd end;
    const Peer* offerer = 2 * si + 1 < w.peers.size() ? w.peers[2 * si].get() : nullptr;
    const Peer* answerer = 2 * si + 1 < w.peers.size() ? w.peers[2 * si + 1].get() : nullptr;
    if (offerer && answerer) {
      end.offerer = &offerer->report();
      end.answerer = &answerer->report();
      end.settled = settled_pair(*offerer, *answerer);
      end.waiting_for = waiting_for({offerer, answerer});
    }
    auto judged = engine::judge_session(run.s, si, end, run.result, w.registry, w.attacker_sessions);
    if (unaccounted.empty()) unaccounted = std::move(judged.unaccounted);
    run.result.sessions.push_back(std::move(judged.session));
  }
  if (!unaccounted.empty() && run.result.error.empty()) {
    run.result.error = unaccounted;
    w.timeline.add("engine", events::kRunError, "simulator failure: " + run.result.error);
  }
}

// Release TURN allocations politely (coturn would otherwise keep them for
// their lifetime); bounded, since a dead server never answers.
void release_turn(Run& run) {
  World& w = run.world;
  if (run.s.turn == "none" && !(w.attack && w.attack->turn_server())) return;
  auto open = std::make_shared<int>(0);
  for (auto& p : w.peers)
    if (p) {
      ++*open;
      p->close_ice([open] { --*open; });
    }
  w.loop.run_until([open] { return *open == 0; }, Clock::now() + std::chrono::milliseconds(200));
}

}  // namespace

RunResult run_scenario(const scenario::Scenario& s, const EngineOptions& options) {
  RunResult result = engine::result_header(s);
  if (options.stop && options.stop->load()) {
    result.seed = 0;
    result.deadline_ms = 0;
    result.interrupted = true;
    return result;
  }
  const auto started = Clock::now();
  CertificateStore local_store;
  NetPlan plan;
  result.network = plan.prefix() + "0/24";
  if (options.on_start) options.on_start(result.network);

  auto world = std::make_unique<World>();
  world->timeline = Timeline(started);
  Run run{s,      options, options.certificates ? *options.certificates : local_store, plan,
          *world, result,  started + std::chrono::milliseconds(s.deadline_ms),         {},
          {},     {}};
  // Exceptions stopped at C callbacks of this run (on this thread) end in its timeline.
  std::optional<CEntryReporter> c_entries(std::in_place, engine::callback_failure_reporter(world->timeline, result));
  try {
    set_up_world(run);
    run.servers = choose_ice_servers(run);
    run.keys = make_keys(run);
    run_rounds(run);
  } catch (const std::exception& e) {
    result.error = e.what();
    world->timeline.add("engine", events::kRunError, std::string("simulator failure: ") + e.what());
  }
  check_ground_truth(run);
  judge_sessions(run);
  if (options.before_teardown) options.before_teardown();
  release_turn(run);
  world->timeline.add("engine", events::kRunEnd, "run ended");
  result.timeline = world->timeline.events();
  c_entries.reset();  // the world's teardown reports to whoever ran the engine, not into a finished timeline
  world.reset();
  result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return result;
}

}  // namespace sigtrust
