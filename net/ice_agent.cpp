#include "net/ice_agent.hpp"

#include <agent.h>

#include <cstring>

#include "core/c_entry.hpp"
#include "net/glib_handles.hpp"

namespace sigtrust {
namespace {

// A list of candidates libnice gave us, or we give it.
void free_candidates(GSList* list) { g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(nice_candidate_free)); }
using CandidateList = CPtr<GSList, free_candidates>;

}  // namespace

struct IceAgent::Impl {
  ObjectPtr<NiceAgent> agent;
  guint stream = 0;
  IceAgent* owner = nullptr;
  bool ready = false;

  static std::string address_string(const NiceAddress& a) {
    char buf[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&a, buf);
    return std::string(buf) + ":" + std::to_string(nice_address_get_port(&a));
  }
  static std::string type_name(NiceCandidateType t) {
    switch (t) {
      case NICE_CANDIDATE_TYPE_HOST: return "host";
      case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
      case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
      case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
    }
    return "unknown";
  }

  // Entries from libnice (core/c_entry.hpp).
  static void on_gathering_done(NiceAgent*, guint stream_id, gpointer data) {
    c_entry("libnice's candidate-gathering-done", [&] { static_cast<Impl*>(data)->gathering_done(stream_id); });
  }
  static void on_state_changed(NiceAgent*, guint, guint, guint state, gpointer data) {
    c_entry("libnice's component-state-changed", [&] { static_cast<Impl*>(data)->state_changed(state); });
  }
  static void on_first_check(NiceAgent*, guint, gpointer data) {
    c_entry("libnice's initial-binding-request-received", [&] {
      auto* self = static_cast<Impl*>(data);
      if (self->owner->cb_.on_first_check) self->owner->cb_.on_first_check();
    });
  }
  static void on_recv(NiceAgent*, guint, guint, guint len, gchar* buf, gpointer data) {
    c_entry("libnice's receive callback", [&] {
      auto* self = static_cast<Impl*>(data);
      if (self->owner->cb_.on_datagram) self->owner->cb_.on_datagram({reinterpret_cast<const std::uint8_t*>(buf), len});
    });
  }

  void gathering_done(guint stream_id) {
    NiceAgent* nice = agent.get();
    LocalIce local;
    gchar* ufrag_raw = nullptr;
    gchar* pwd_raw = nullptr;
    const bool have_credentials = nice_agent_get_local_credentials(nice, stream_id, &ufrag_raw, &pwd_raw);
    const CharPtr ufrag(ufrag_raw), pwd(pwd_raw);
    if (have_credentials) {
      local.ufrag = ufrag.get();
      local.pwd = pwd.get();
    }
    const CandidateList cands(nice_agent_get_local_candidates(nice, stream_id, 1));
    for (GSList* i = cands.get(); i; i = i->next) {
      auto* c = static_cast<NiceCandidate*>(i->data);
      CharPtr line(nice_agent_generate_local_candidate_sdp(nice, c));
      if (auto parsed = sdp::parse_candidate(line.get() + (std::strncmp(line.get(), "a=", 2) == 0 ? 2 : 0)))
        local.candidates.push_back(std::move(*parsed));
    }
    if (owner->cb_.on_gathered) owner->cb_.on_gathered(local);
  }

  void state_changed(guint state) {
    IceState s = IceState::New;
    switch (state) {
      case NICE_COMPONENT_STATE_GATHERING: s = IceState::Gathering; break;
      case NICE_COMPONENT_STATE_CONNECTING: s = IceState::Connecting; break;
      case NICE_COMPONENT_STATE_CONNECTED: s = IceState::Connected; break;
      case NICE_COMPONENT_STATE_READY: s = IceState::Ready; break;
      case NICE_COMPONENT_STATE_FAILED: s = IceState::Failed; break;
      default: return;
    }
    owner->state_ = s;
    if (owner->cb_.on_state) owner->cb_.on_state(s);
    if (s == IceState::Ready && !ready) {
      ready = true;
      if (auto pair = owner->selected_pair(); pair && owner->cb_.on_ready) owner->cb_.on_ready(*pair);
    }
  }
};

std::string_view to_string(IceState s) {
  switch (s) {
    case IceState::New: return "new";
    case IceState::Gathering: return "gathering";
    case IceState::Connecting: return "connecting";
    case IceState::Connected: return "connected";
    case IceState::Ready: return "ready";
    case IceState::Failed: return "failed";
  }
  return "unknown";
}

IceAgent::IceAgent(MainLoop& loop, IceOptions options, IceCallbacks callbacks)
    : impl_(std::make_unique<Impl>()), options_(std::move(options)), cb_(std::move(callbacks)) {
  impl_->owner = this;
  // UPnP must be off at construction or SSDP multicast leaves the machine and
  // gathering waits for it; ICE-TCP off (UDP only); Ta = 1 ms and aggressive
  // nomination on loopback (docs/architecture.md, measured facts). RFC5245 compatibility is
  // libnice's RFC 8445 mode.
  auto* agent = static_cast<NiceAgent*>(
      g_object_new(NICE_TYPE_AGENT, "compatibility", NICE_COMPATIBILITY_RFC5245, "main-context", loop.context(),
                   "reliable", FALSE, "full-mode", TRUE, "upnp", FALSE, "ice-tcp", FALSE, "ice-udp", TRUE,
                   "stun-pacing-timer", 1u, "nomination-mode", NICE_NOMINATION_MODE_AGGRESSIVE, "idle-timeout", 50u,
                   "stun-initial-timeout", 50u, "controlling-mode", options_.controlling ? TRUE : FALSE, nullptr));
  if (!agent) throw Failure("cannot create libnice agent");
  impl_->agent.reset(agent);

  // Only this run's loopback address: libnice would otherwise gather every interface.
  NiceAddress addr;
  nice_address_init(&addr);
  if (!nice_address_set_from_string(&addr, options_.local_address.c_str()))
    throw Failure("bad local address " + options_.local_address);
  if (!nice_agent_add_local_address(agent, &addr)) throw Failure("cannot add local address " + options_.local_address);

  if (options_.stun) {
    g_object_set(agent, "stun-server", options_.stun->address.c_str(), "stun-server-port",
                 static_cast<guint>(options_.stun->port), nullptr);
  }
  // A browser's iceTransportPolicy "relay": only relayed candidates are gathered and used.
  if (options_.relay_only) g_object_set(agent, "force-relay", TRUE, nullptr);

  impl_->stream = nice_agent_add_stream(agent, 1);
  if (impl_->stream == 0) throw Failure("cannot add ICE stream");
  if (options_.turn && !nice_agent_set_relay_info(agent, impl_->stream, 1, options_.turn->address.c_str(),
                                                  options_.turn->port, options_.turn->username.c_str(),
                                                  options_.turn->password.c_str(), NICE_RELAY_TYPE_TURN_UDP))
    throw Failure("libnice rejected the TURN server " + options_.turn->address);
  g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(&Impl::on_gathering_done), impl_.get());
  g_signal_connect(agent, "component-state-changed", G_CALLBACK(&Impl::on_state_changed), impl_.get());
  g_signal_connect(agent, "initial-binding-request-received", G_CALLBACK(&Impl::on_first_check), impl_.get());
  nice_agent_attach_recv(agent, impl_->stream, 1, loop.context(), &Impl::on_recv, impl_.get());
}

IceAgent::~IceAgent() {
  if (impl_->agent) {
    g_signal_handlers_disconnect_by_data(impl_->agent.get(), impl_.get());
    nice_agent_attach_recv(impl_->agent.get(), impl_->stream, 1, nullptr, nullptr, nullptr);
    // Once close_async has begun, libnice 0.1.21 is releasing the TURN
    // allocations: a Refresh with lifetime 0 per allocation, retransmitted on
    // the agent's own timer (agent.c, nice_agent_close_async; it removes no
    // stream). Removing the stream now would close the sockets under those
    // pending Refreshes, and the next retransmission aborts the process
    // (udp-bsd.c:290, `sock->priv != NULL`): seen when the engine stopped
    // waiting for the release (200 ms) on a busy machine. The close holds a
    // reference to the agent until the release ends; the agent's disposal
    // then frees the refreshes before it closes the streams.
    if (!closing_) nice_agent_remove_stream(impl_->agent.get(), impl_->stream);
  }
}

void IceAgent::gather() {
  state_ = IceState::Gathering;
  if (!nice_agent_gather_candidates(impl_->agent.get(), impl_->stream))
    throw Failure("libnice could not gather candidates on " + options_.local_address);
}

Result<int> IceAgent::set_remote(const std::string& ufrag, const std::string& pwd,
                                 const std::vector<sdp::Candidate>& candidates) {
  // RFC 8445 §5.3: ufrag ≥ 4 and pwd ≥ 22 characters; libnice checks less.
  if (ufrag.size() < 4 || ufrag.size() > 256 || pwd.size() < 22 || pwd.size() > 256)
    return Error{"ICE credentials out of range (ufrag " + std::to_string(ufrag.size()) + ", pwd " +
                 std::to_string(pwd.size()) + " characters)"};
  if (!nice_agent_set_remote_credentials(impl_->agent.get(), impl_->stream, ufrag.c_str(), pwd.c_str()))
    return Error{"libnice rejected the remote ICE credentials"};
  CandidateList list;
  for (const auto& c : candidates) {
    const std::string line = "a=candidate:" + sdp::format_candidate(c);
    if (NiceCandidate* nc = nice_agent_parse_remote_candidate_sdp(impl_->agent.get(), impl_->stream, line.c_str()))
      list.reset(g_slist_prepend(list.release(), nc));
  }
  list.reset(g_slist_reverse(list.release()));
  int added = 0;
  if (list) added = nice_agent_set_remote_candidates(impl_->agent.get(), impl_->stream, 1, list.get());
  if (added < 0) return Error{"libnice rejected the remote candidates"};
  return added;
}

bool IceAgent::send(std::span<const std::uint8_t> datagram) {
  if (closing_) return false;
  return nice_agent_send(impl_->agent.get(), impl_->stream, 1, static_cast<guint>(datagram.size()),
                         reinterpret_cast<const gchar*>(datagram.data())) >= 0;
}

void IceAgent::close_async(std::function<void()> done) {
  closing_ = true;
  // libnice calls the completion exactly once, which takes the function back.
  nice_agent_close_async(
      impl_->agent.get(),
      [](GObject*, GAsyncResult*, gpointer data) {
        const auto fn = take_from_c<std::function<void()>>(data);
        c_entry("libnice's close completion", [&] {
          if (*fn) (*fn)();
        });
      },
      give_to_c(std::make_unique<std::function<void()>>(std::move(done))));
}

std::optional<SelectedPair> IceAgent::selected_pair() const {
  NiceCandidate* local = nullptr;
  NiceCandidate* remote = nullptr;
  if (!nice_agent_get_selected_pair(impl_->agent.get(), impl_->stream, 1, &local, &remote)) return std::nullopt;
  return SelectedPair{Impl::type_name(local->type), Impl::type_name(remote->type), Impl::address_string(local->addr),
                      Impl::address_string(remote->addr)};
}

}  // namespace sigtrust
