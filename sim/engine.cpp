#include "sim/engine.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <exception>
#include <optional>

#include "net/certificate.hpp"
#include "trust/identity_provider.hpp"
#include "sim/net_plan.hpp"
#include "trust/out_of_band.hpp"
#include "sim/peer.hpp"
#include "net/signaling_relay.hpp"

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

std::string trust_label(const scenario::Scenario& s) {
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& t : v) out += (out.empty() ? "" : "+") + t;
    return out;
  };
  const std::string first = s.peers.empty() ? "" : join(s.peers.front().trust);
  bool same = true;
  for (const auto& p : s.peers) same = same && join(p.trust) == first;
  if (same) return first;
  std::string out;
  for (const auto& p : s.peers) out += (out.empty() ? "" : ",") + p.name + "=" + join(p.trust);
  return out;
}

bool settled_pair(const Peer& a, const Peer& b) {
  return (a.settled() && b.settled()) ||
         // One side failed and the other can expect nothing more from it.
         (a.failed() && (b.settled() || b.report().sent.size() == b.config().outgoing.size())) ||
         (b.failed() && (a.settled() || a.report().sent.size() == a.config().outgoing.size()));
}

std::string room_of(size_t index, const scenario::SessionSpec& s) {
  return "/s" + std::to_string(index) + "-" + s.offerer + "-" + s.answerer;
}

// Sessions of a round started together at most, when the round may be run
// in batches: what one main loop carries at full speed (docs/architecture.md, measured facts
// measured 20 at once at 1.5 ms of CPU each).
constexpr size_t kBatchSessions = 32;

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

double span_ms(double from, double to) { return from < 0 || to < 0 ? -1 : to - from; }

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
  std::map<std::string, TofuStore> tofu;        // per peer, kept across rounds
  std::vector<std::unique_ptr<Peer>> peers;  // in session order: offerer, answerer, ...
  // The main context and relay of each batch of a large round (see run_scenario).
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

}  // namespace

RunResult run_scenario(const scenario::Scenario& s, const EngineOptions& options) {
  RunResult result;
  if (options.stop && options.stop->load()) {
    result.scenario = s.name;
    result.file = s.file;
    result.attack = s.attack.name;
    result.trust = trust_label(s);
    result.interrupted = true;
    return result;
  }
  result.scenario = s.name;
  result.file = s.file;
  result.attack = s.attack.name;
  result.trust = trust_label(s);
  result.seed = s.seed;
  result.deadline_ms = s.deadline_ms;
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::milliseconds(s.deadline_ms);

  CertificateStore local_store;
  CertificateStore& store = options.certificates ? *options.certificates : local_store;
  NetPlan plan;
  result.network = plan.prefix() + "0/24";
  if (options.on_start) options.on_start(result.network);

  auto world = std::make_unique<World>();
  try {
    world->timeline = Timeline(started);
    ensure_descriptors(s.sessions.size());
    for (const auto& p : s.peers) world->registry.add(store.get(p.name).fingerprint(), p.name);
    world->relay = std::make_unique<SignalingRelay>(world->loop, plan.relay(), world->timeline);
    world->timeline.add("engine", "run.start",
                        "run on " + result.network + "; relay at " + world->relay->url() + "; attack " + s.attack.name);

    if (s.attack.name != "none") {
      if (!options.make_attack) throw std::runtime_error("no attack factory for '" + s.attack.name + "'");
      // The engine, not the attack, writes the ground truth: what the attack
      // presents is bound to the attacker's name, and a certificate that is
      // already a peer's is refused (the run then ends `error`).
      const std::string attacker = "mallory";
      auto present = [registry = &world->registry, attacker](const Certificate& c) {
        registry->add(c.fingerprint(), attacker);
      };
      world->attack_world.reset(new AttackWorld{world->loop, world->timeline, present, plan.attacker(), attacker,
                                                s.attack.params, s.attack.rewrite, world->attacker_sessions,
                                                options.key_log, ""});
      world->attack = options.make_attack(s.attack.name, *world->attack_world);
      if (!world->attack) throw std::runtime_error("unknown attack '" + s.attack.name + "'");
      world->relay->set_interceptor(world->attack->signaling());
    }

    std::map<std::string, unsigned> peer_indices;
    for (size_t i = 0; i < s.peers.size(); ++i) peer_indices.emplace(s.peers[i].name, static_cast<unsigned>(i));
    auto peer_index = [&](const std::string& name) {
      auto it = peer_indices.find(name);
      return it == peer_indices.end() ? 0u : it->second;
    };
    // STUN/TURN nodes: the attacker's at its position, else the honest coturn.
    // A session the attacker leaves alone uses the honest ones (or none).
    std::optional<IceServer> stun, turn, attacker_stun, attacker_turn;
    if (s.stun == "coturn" || s.turn == "coturn") {
      CoturnService& service = options.coturn ? *options.coturn : world->coturn;
      auto server = service.get();
      if (!server) throw std::runtime_error(server.error().message);
      if (s.stun == "coturn") stun = *server;
      if (s.turn == "coturn") turn = *server;
      world->timeline.add("engine", "coturn", "coturn serves STUN/TURN on " + server->address + ":" + std::to_string(server->port));
    }
    if (world->attack) {
      attacker_stun = world->attack->stun_server();
      attacker_turn = world->attack->turn_server();
    }

    // Long-term keys exist before any session: peers pinned each other's
    // (pinned-key). Made only where a peer uses them, and the map is shared
    // by every peer (a copy per peer would grow with the square of the peers).
    const bool pinning = std::any_of(s.peers.begin(), s.peers.end(), [](const scenario::PeerSpec& p) {
      return std::find(p.trust.begin(), p.trust.end(), "pinned-key") != p.trust.end();
    });
    auto pinned = std::make_shared<std::map<std::string, const PublicKey*>>();
    if (pinning)
      for (const auto& p : s.peers) (*pinned)[p.name] = &store.long_term_key(p.name).public_key();
    // The IdP's signing key only where a peer uses identity assertions: key
    // generation would otherwise be per-run work every run pays.
    const bool assertions = std::any_of(s.peers.begin(), s.peers.end(), [](const scenario::PeerSpec& p) {
      return std::any_of(p.trust.begin(), p.trust.end(), [](const std::string& t) { return t.rfind("identity", 0) == 0; });
    });
    if (assertions) world->idp = std::make_unique<IdentityProvider>();

    // Rounds run one after the other; the sessions of a round at once.
    std::vector<std::uint32_t> rounds;
    for (const auto& sess : s.sessions) rounds.push_back(sess.round);
    std::sort(rounds.begin(), rounds.end());
    rounds.erase(std::unique(rounds.begin(), rounds.end()), rounds.end());
    world->peers.resize(2 * s.sessions.size());

    auto make_peers = [&](size_t si, MainLoop& loop, const SignalingRelay& relay) {
      const auto& sess = s.sessions[si];
      const std::string room = room_of(si, sess);
      if (!sess.attacked) {
        world->relay->bypass(room);
        if (world->attack) world->timeline.add("engine", "session.unattacked", "the relay leaves " + room + " alone");
      }
      OutOfBand* oob = nullptr;
      if (sess.out_of_band) {
        world->oob.push_back(std::make_unique<OutOfBand>(loop, s.seed, si));
        oob = world->oob.back().get();
        // What the users exchanged beforehand, e.g. by scanning each other's QR code.
        oob->publish_fingerprint(sess.offerer, store.get(sess.offerer).fingerprint());
        oob->publish_fingerprint(sess.answerer, store.get(sess.answerer).fingerprint());
      }
      for (int side = 0; side < 2; ++side) {
        const std::string& me = side == 0 ? sess.offerer : sess.answerer;
        const std::string& other = side == 0 ? sess.answerer : sess.offerer;
        const auto& spec = s.peers[peer_index(me)];
        PeerConfig pc;
        pc.name = me;
        pc.counterpart = other;
        pc.offerer = side == 0;
        pc.address = plan.peer(peer_index(me));
        pc.stun = sess.attacked && attacker_stun ? attacker_stun : stun;
        pc.turn = sess.attacked && attacker_turn ? attacker_turn : turn;
        // Without the node a policy needs (an unattacked session, no honest node), the peer connects directly.
        pc.relay_only = spec.relay_only && pc.turn;
        pc.behind_nat = spec.behind_nat && pc.stun;
        pc.relay_url = relay.url() + room + "?peer=" + me;
        pc.trust = spec.trust;
        pc.trust_context.params = spec.trust_params;
        pc.trust_context.oob = oob;
        pc.trust_context.idp = world->idp.get();
        pc.trust_context.own_key = pinning ? &store.long_term_key(me) : nullptr;
        pc.trust_context.pinned_key = [pinned](const std::string& who) -> const PublicKey* {
          auto it = pinned->find(who);
          return it == pinned->end() ? nullptr : it->second;
        };
        pc.trust_context.tofu = &world->tofu[me];
        for (const auto& m : sess.messages) {
          if (m.from == me) pc.outgoing.push_back(m.text);
          else ++pc.expected_incoming;
        }
        pc.key_log = options.key_log;
        world->peers[2 * si + side] = std::make_unique<Peer>(loop, store.get(me), std::move(pc), world->timeline);
      }
    };
    auto session_settled = [&](size_t si) { return settled_pair(*world->peers[2 * si], *world->peers[2 * si + 1]); };
    auto stopped = [&] { return options.stop && options.stop->load(); };
    // A round of more than kBatchSessions sessions is started in batches:
    // hundreds of peers connecting at once on one loop miss ICE and WebSocket
    // timeouts. In an honest run on direct paths each batch also gets its own
    // main context and relay: a GLib iteration polls every source of its
    // context, so on one context each step would cost more the more
    // connections are open, and the round would grow with the square of its
    // size. The connections of a finished batch stay open (sockets, ICE
    // agents, DTLS sessions) until the run ends; their context is simply not
    // iterated while nothing is left to do on it. An attack's nodes, and the
    // TURN allocations released at teardown, live on the run's loop, so
    // there the batches share it.
    const bool own_contexts = !world->attack && !stun && !turn;
    bool ended = false;
    for (const std::uint32_t round : rounds) {
      std::vector<size_t> current;
      for (size_t si = 0; si < s.sessions.size(); ++si)
        if (s.sessions[si].round == round) current.push_back(si);
      if (rounds.size() > 1) world->timeline.add("engine", "round.start", "round " + std::to_string(round));
      const size_t batch_size = std::min(current.size(), kBatchSessions);
      for (size_t first = 0; first < current.size() && !ended; first += batch_size) {
        const std::vector<size_t> batch(current.begin() + static_cast<std::ptrdiff_t>(first),
                                        current.begin() + static_cast<std::ptrdiff_t>(std::min(first + batch_size, current.size())));
        MainLoop* loop = &world->loop;
        const SignalingRelay* relay = world->relay.get();
        std::optional<MainLoop::ThreadDefault> batch_default;
        if (batch_size < current.size()) {
          if (own_contexts) {
            auto& shard = *world->shards.emplace_back(std::make_unique<World::Shard>());
            batch_default.emplace(shard.loop);
            shard.relay = std::make_unique<SignalingRelay>(shard.loop, plan.relay(), world->timeline);
            loop = &shard.loop;
            relay = shard.relay.get();
          }
          world->timeline.add("engine", "batch.start",
                              "sessions " + std::to_string(first + 1) + " to " + std::to_string(first + batch.size()) +
                                  " of " + std::to_string(current.size()) + "; relay at " + relay->url() +
                                  (own_contexts ? " on a main context of their own" : " on the run's main loop"));
        }
        for (const size_t si : batch) make_peers(si, *loop, *relay);
        for (const size_t si : batch) {
          world->peers[2 * si]->start();
          world->peers[2 * si + 1]->start();
        }
        auto batch_settled = [&] { return std::all_of(batch.begin(), batch.end(), session_settled); };
        const bool settled = loop->run_until([&] { return stopped() || batch_settled(); }, deadline,
                                             std::chrono::milliseconds(options.stop ? 25 : 0));
        if (stopped()) {
          result.interrupted = true;
          world->timeline.add("engine", "run.interrupted", "stopped from outside before the run finished");
          ended = true;
        } else if (!settled) {
          result.deadline_reached = true;
          std::string waiting;
          for (const size_t si : batch)
            for (const size_t k : {2 * si, 2 * si + 1}) {
              const Peer& p = *world->peers[k];
              if (!p.settled()) waiting += (waiting.empty() ? "" : "; ") + p.config().name + " was waiting for " + p.waiting_for();
            }
          if (const size_t later = current.size() - first - batch.size(); later > 0)
            waiting += "; " + std::to_string(later) + " session(s) of later batches never started";
          world->timeline.add("engine", "run.deadline",
                              "deadline of " + std::to_string(s.deadline_ms) + " ms reached: " + waiting);
          ended = true;
        }
      }
      if (ended) break;
    }
  } catch (const std::exception& e) {
    result.error = e.what();
    world->timeline.add("engine", "run.error", std::string("simulator failure: ") + e.what());
  }
  // A refused rebinding means someone tried to rewrite the ground truth: no
  // verdict of this run can be trusted.
  if (const auto& refused = world->registry.refusals(); !refused.empty() && result.error.empty()) {
    result.error = "ground truth refused: " + refused.front();
    world->timeline.add("engine", "run.error", "simulator failure: " + result.error);
  }

  // Ground truth and classification.
  std::string unaccounted_error;
  for (size_t si = 0; si < s.sessions.size(); ++si) {
    const auto& sess = s.sessions[si];
    SessionResult sr;
    sr.offerer = sess.offerer;
    sr.answerer = sess.answerer;
    sr.room = room_of(si, sess);
    sr.round = sess.round;
    sr.line = sess.where.line;
    sr.expected = sess.expect;
    const bool began = 2 * si + 1 < world->peers.size() && world->peers[2 * si] && world->peers[2 * si + 1];
    if (began) {
      sr.offerer_result.report = world->peers[2 * si]->report();
      sr.answerer_result.report = world->peers[2 * si + 1]->report();
    }
    // Unsettled when the run ended: its outcome is only what happened so far.
    if (result.error.empty() && (result.interrupted || result.deadline_reached) &&
        !(began && settled_pair(*world->peers[2 * si], *world->peers[2 * si + 1]))) {
      sr.cut = result.interrupted ? CutBy::Interrupted : CutBy::Deadline;
      if (!began) sr.waiting_for = "the session never started";
      else
        for (const size_t k : {2 * si, 2 * si + 1}) {
          const Peer& p = *world->peers[k];
          if (!p.settled())
            sr.waiting_for += (sr.waiting_for.empty() ? "" : "; ") + p.config().name + " was waiting for " + p.waiting_for();
        }
    }
    for (PeerResult* pr : {&sr.offerer_result, &sr.answerer_result})
      pr->dtls_peer_owner = world->registry.owner(pr->report.dtls_peer_fingerprint);
    if (auto it = world->attacker_sessions.find(sr.room); it != world->attacker_sessions.end()) sr.attacker = it->second;
    // Attacks at the STUN/TURN position see no rooms; what they got counts for every attacked session.
    if (auto it = world->attacker_sessions.find("*"); it != world->attacker_sessions.end() && sess.attacked)
      sr.attacker = it->second;

    SessionTruth t;
    auto fill = [](EndTruth& e, const PeerResult& pr, const std::string& intended) {
      e.handshake_done = pr.report.handshake_done;
      e.entered_data_phase = pr.report.entered_data_phase;
      e.dtls_peer_owner = pr.dtls_peer_owner;
      e.intended_peer = intended;
      e.alarms = pr.report.alarms;
    };
    fill(t.offerer, sr.offerer_result, sess.answerer);
    fill(t.answerer, sr.answerer_result, sess.offerer);
    t.attacker_read_plaintext = !sr.attacker.plaintext_read.empty();
    t.simulator_error = !result.error.empty();
    sr.outcome = classify(t);
    // The classifier failed closed on this session: say why, as the run's failure.
    if (sr.outcome == Outcome::Error && !t.simulator_error && unaccounted_error.empty())
      for (const auto* e : {&t.offerer, &t.answerer})
        if (e->entered_data_phase && (e->dtls_peer_owner.empty() || e->dtls_peer_owner == kUnregisteredOwner)) {
          unaccounted_error = "ground truth incomplete: in " + sr.room + " a peer exchanged data with " +
                              (e->dtls_peer_owner.empty() ? std::string("no recorded certificate")
                                                          : "a certificate no node registered");
          break;
        }
    sr.pass = std::string(to_string(sr.outcome)) == sr.expected && is_final(sr.outcome, sr.cut);

    const auto& o = sr.offerer_result.report;
    const auto& a = sr.answerer_result.report;
    auto latest = [](double x, double y) { return x < 0 || y < 0 ? -1 : std::max(x, y); };
    const double start = std::min(o.t_start_ms, a.t_start_ms);
    sr.ice_ms = span_ms(start, latest(o.t_ice_ms, a.t_ice_ms));
    sr.dtls_ms = span_ms(latest(o.t_ice_ms, a.t_ice_ms), latest(o.t_dtls_ms, a.t_dtls_ms));
    sr.total_ms = span_ms(start, latest(o.t_done_ms, a.t_done_ms));
    result.sessions.push_back(std::move(sr));
  }
  if (!unaccounted_error.empty() && result.error.empty()) {
    result.error = unaccounted_error;
    world->timeline.add("engine", "run.error", "simulator failure: " + result.error);
  }
  if (options.before_teardown) options.before_teardown();
  // Release TURN allocations politely (coturn would otherwise keep them for
  // their lifetime); bounded, since a dead server never answers.
  if (s.turn != "none" || (world->attack && world->attack->turn_server())) {
    auto open = std::make_shared<int>(0);
    for (auto& p : world->peers)
      if (p) {
        ++*open;
        p->close_ice([open] { --*open; });
      }
    world->loop.run_until([open] { return *open == 0; }, Clock::now() + std::chrono::milliseconds(200));
  }
  world->timeline.add("engine", "run.end", "run ended");
  result.timeline = world->timeline.events();
  world.reset();
  result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  return result;
}

}  // namespace sigtrust
