#include "attacks/turn_node.hpp"

#include "attacks/stun_method.hpp"

#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "attacks/node_events.hpp"
#include "attacks/udp_socket.hpp"
#include "core/timeline_events.hpp"

namespace sigtrust::attacks {
namespace {

using namespace std::chrono_literals;

// RFC 8656 §6: the default lifetime of an allocation is 600 s; §7.2: a
// maximum of no more than 3600 s is RECOMMENDED.
constexpr std::uint32_t kDefaultLifetime = 600;
constexpr std::uint32_t kMaxLifetime = 3600;
// RFC 8656 §9: the Permission Lifetime MUST be 300 s.
constexpr auto kPermissionLifetime = 300s;
// RFC 8656 §12: a channel binding lasts 10 minutes unless refreshed.
constexpr auto kChannelLifetime = 600s;
// RFC 8656 §5: the server SHOULD expire a nonce at least once every hour.
constexpr auto kNonceLifetime = 3600s;
// RFC 8656 §12.2: channel numbers 0x4000 through 0x4FFF.
constexpr std::uint16_t kChannelMin = 0x4000;
constexpr std::uint16_t kChannelMax = 0x4FFF;
// REQUESTED-TRANSPORT carries an IP protocol number (RFC 8656); UDP is 17.
constexpr std::uint32_t kTransportUdp = 17;
// REQUESTED-ADDRESS-FAMILY (RFC 8656; libnice calls 0x0017 REQUESTED_ADDRESS_TYPE): IPv4 is 0x01.
constexpr std::uint32_t kFamilyIpv4 = 0x01;
// RFC 8656's error 443, Peer Address Family Mismatch. libnice names 443
// STUN_ERROR_INVALID_IP after a TURN draft and sends that draft's reason phrase.
constexpr auto kPeerAddressFamilyMismatch = static_cast<StunError>(443);

// Bounds on state an unauthenticated or hostile client can make us hold.
constexpr size_t kMaxAllocations = 512;
constexpr size_t kMaxNonces = 4096;
constexpr auto kSweepInterval = 5s;
// The largest payload a Data indication can carry: the STUN length field is
// 16 bits and holds XOR-PEER-ADDRESS (12), the DATA header (4) and FINGERPRINT (8).
constexpr size_t kMaxIndicationPayload = 0xFFFF - 12 - 4 - 8 - 3;

// Attributes this server understands. A comprehension-required attribute not
// listed here (EVEN-PORT, RESERVATION-TOKEN, ADDITIONAL-ADDRESS-FAMILY is
// comprehension-optional) makes a request fail with 420 and UNKNOWN-ATTRIBUTES
// (RFC 8489 §6.3.1). DONT-FRAGMENT is understood and ignored, which RFC 8656
// §13 requires of a UDP-to-UDP relay.
const std::uint16_t kKnownAttributes[] = {STUN_ATTRIBUTE_USERNAME,
                                          STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
                                          STUN_ATTRIBUTE_ERROR_CODE,
                                          STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
                                          STUN_ATTRIBUTE_CHANNEL_NUMBER,
                                          STUN_ATTRIBUTE_LIFETIME,
                                          STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
                                          STUN_ATTRIBUTE_DATA,
                                          STUN_ATTRIBUTE_REALM,
                                          STUN_ATTRIBUTE_NONCE,
                                          STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                          STUN_ATTRIBUTE_REQUESTED_ADDRESS_TYPE,
                                          STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
                                          STUN_ATTRIBUTE_DONT_FRAGMENT,
                                          STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                          0};

using Ip = std::array<std::uint8_t, 4>;
using TransactionId = std::array<std::uint8_t, sizeof(StunTransactionId)>;

struct Channel {
  Endpoint peer;
  Clock::time_point expires;
};

struct Allocation {
  Endpoint client;  // the 5-tuple's client side; the server side and UDP are fixed
  Endpoint relayed;
  std::unique_ptr<UdpSocket> socket;
  Clock::time_point expires;
  // RFC 8656 §5 / RFC 8489 §6.3.1: a retransmitted Allocate (same 5-tuple,
  // same transaction) gets the same success response, not a 437.
  TransactionId allocate_id{};
  std::vector<std::uint8_t> allocate_response;
  std::map<Ip, Clock::time_point> permissions;  // RFC 8656 §9: by IP address only, never port
  std::map<std::uint16_t, Channel> channels;

  bool permitted(const Ip& ip, Clock::time_point now) const {
    const auto it = permissions.find(ip);
    return it != permissions.end() && now < it->second;
  }
  const Channel* channel(std::uint16_t number, Clock::time_point now) const {
    const auto it = channels.find(number);
    return it != channels.end() && now < it->second.expires ? &it->second : nullptr;
  }
  std::optional<std::uint16_t> channel_for(const Endpoint& peer, Clock::time_point now) const {
    for (const auto& [number, ch] : channels)
      if (ch.peer == peer && now < ch.expires) return number;
    return std::nullopt;
  }
};

struct Nonce {
  std::string value;
  Clock::time_point expires;
};

// What the credential check learned, for the timeline.
struct AuthCheck {
  const TurnCredentials* creds = nullptr;
  const char* failure = nullptr;
};

// libnice's validater hook (stun_agent_validate): given the USERNAME, return
// the password; libnice then derives the long-term key MD5(username ":" realm
// ":" password) (RFC 8489 §9.2.2) from the request's own USERNAME and REALM and
// checks MESSAGE-INTEGRITY with it.
bool check_credentials(StunAgent*, StunMessage* msg, uint8_t* username, uint16_t username_len, uint8_t** password,
                       size_t* password_len, void* user_data) {
  auto* check = static_cast<AuthCheck*>(user_data);
  const TurnCredentials& creds = *check->creds;
  uint16_t realm_len = 0;
  const auto* realm = static_cast<const uint8_t*>(stun_message_find(msg, STUN_ATTRIBUTE_REALM, &realm_len));
  if (!realm || realm_len != creds.realm.size() || std::memcmp(realm, creds.realm.data(), realm_len) != 0) {
    check->failure = "REALM is not this server's";
    return false;
  }
  if (!username || username_len != creds.username.size() ||
      std::memcmp(username, creds.username.data(), username_len) != 0) {
    check->failure = "unknown USERNAME";
    return false;
  }
  *password = reinterpret_cast<uint8_t*>(const_cast<char*>(creds.password.data()));
  *password_len = creds.password.size();
  return true;
}

std::uint16_t read_u16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

struct TurnNode::Impl {
  MainLoop& loop;
  std::string address;
  TurnCredentials creds;

  // One agent per way a message is checked: TURN requests need long-term
  // credentials, Binding requests need none; each with and without a
  // FINGERPRINT check, because libnice's agent either requires FINGERPRINT or
  // ignores it, while RFC 8489 §7 makes it optional but binding when present.
  StunAgent auth_agent{}, auth_agent_fp{}, binding_agent{}, binding_agent_fp{};
  // Binding from an RFC 3489 client (no magic cookie; libnice 0.1.21 sends
  // these for server-reflexive discovery) gets MAPPED-ADDRESS (RFC 8489 §12.2).
  // TURN requests never do (RFC 8656 §5: no backwards compatibility).
  StunAgent classic_agent{};
  // Builds everything the server sends: MESSAGE-INTEGRITY with the request's
  // long-term key when it was authenticated, and always FINGERPRINT.
  StunAgent writer{};

  std::unique_ptr<UdpSocket> server;
  std::map<Endpoint, std::unique_ptr<Allocation>> allocations;  // by client transport address
  std::map<Endpoint, Allocation*> by_relayed;
  std::map<Endpoint, Nonce> nonces;  // by client transport address
  RelayTap* tap = nullptr;
  Timer sweep_timer;
  std::random_device random;
  NodeEvents events;
  std::vector<std::uint8_t> out = std::vector<std::uint8_t>(STUN_MAX_MESSAGE_SIZE);

  std::uint64_t relayed_bytes = 0, relayed_datagrams = 0, unauthorized = 0;

  Impl(MainLoop& l, std::string addr, TurnCredentials c, Timeline& t, std::string a)
      : loop(l),
        address(std::move(addr)),
        creds(std::move(c)),
        events(t, std::move(a), "turn", "refused to relay for") {
    const auto long_term = STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS;
    const auto fp = STUN_AGENT_USAGE_USE_FINGERPRINT;
    const auto none = STUN_AGENT_USAGE_IGNORE_CREDENTIALS;
    stun_agent_init(&auth_agent, kKnownAttributes, STUN_COMPATIBILITY_RFC5389, long_term);
    stun_agent_init(&auth_agent_fp, kKnownAttributes, STUN_COMPATIBILITY_RFC5389,
                    static_cast<StunAgentUsageFlags>(long_term | fp));
    stun_agent_init(&binding_agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389, none);
    stun_agent_init(&binding_agent_fp, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389,
                    static_cast<StunAgentUsageFlags>(none | fp));
    stun_agent_init(&classic_agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC3489, none);
    stun_agent_init(&writer, kKnownAttributes, STUN_COMPATIBILITY_RFC5389,
                    static_cast<StunAgentUsageFlags>(long_term | fp));
  }

  // ---- state -----------------------------------------------------------------

  std::string make_nonce() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int word = 0; word < 3; ++word) {
      std::uint32_t r = random();
      for (int i = 0; i < 8; ++i, r >>= 4) s.push_back(kHex[r & 0xF]);
    }
    return s;
  }
  // RFC 8656 §5: a fresh random nonce for each client that starts an allocation.
  const std::string& nonce_for(const Endpoint& client, bool renew = false) {
    const auto now = Clock::now();
    auto it = nonces.find(client);
    if (it == nonces.end()) {
      if (nonces.size() >= kMaxNonces) nonces.erase(nonces.begin());
      it = nonces.emplace(client, Nonce{make_nonce(), now + kNonceLifetime}).first;
    } else if (renew || now >= it->second.expires) {
      it->second = Nonce{make_nonce(), now + kNonceLifetime};
    }
    return it->second.value;
  }
  bool nonce_valid(const Endpoint& client, const StunMessage& req) const {
    char value[764];  // RFC 8489 §14.10: NONCE is at most 763 bytes
    if (stun_message_find_string(&req, STUN_ATTRIBUTE_NONCE, value, sizeof value) != STUN_MESSAGE_RETURN_SUCCESS)
      return false;
    const auto it = nonces.find(client);
    return it != nonces.end() && Clock::now() < it->second.expires && it->second.value == value;
  }

  Allocation* allocation_of(const Endpoint& client) {
    const auto it = allocations.find(client);
    if (it == allocations.end()) return nullptr;
    if (Clock::now() >= it->second->expires) {  // RFC 8656 §6: an expired allocation is gone
      remove_allocation(it, "expired");
      return nullptr;
    }
    return it->second.get();
  }
  void remove_allocation(std::map<Endpoint, std::unique_ptr<Allocation>>::iterator it, const std::string& why) {
    const Allocation& a = *it->second;
    events.event(events::kTurnDeallocate,
                 "released " + a.relayed.to_string() + " of " + a.client.to_string() + " (" + why + ")",
                 {{"client", a.client.to_string()}, {"relayed", a.relayed.to_string()}, {"reason", why}});
    by_relayed.erase(a.relayed);
    allocations.erase(it);
  }
  // Called from a timer, never from a socket's own callback, so an
  // allocation's socket is never destroyed while it is dispatching.
  void sweep() {
    const auto now = Clock::now();
    for (auto it = allocations.begin(); it != allocations.end();) {
      auto next = std::next(it);
      if (now >= it->second->expires) {
        remove_allocation(it, "expired");
      } else {
        std::erase_if(it->second->permissions, [&](const auto& p) { return now >= p.second; });
        std::erase_if(it->second->channels, [&](const auto& c) { return now >= c.second.expires; });
      }
      it = next;
    }
    std::erase_if(nonces, [&](const auto& n) { return now >= n.second.expires; });
  }
  void schedule_sweep() {
    sweep_timer = loop.after(kSweepInterval, [this] {
      sweep();
      schedule_sweep();
    });
  }

  // ---- sending ---------------------------------------------------------------

  void send(const Endpoint& to, size_t len) {
    if (len > 0) server->send_to(to, std::span<const std::uint8_t>(out.data(), len));
  }
  // RFC 8489 §9.2.4: a challenge (401, 438) carries REALM and a NONCE.
  void send_error(const StunMessage& req, const Endpoint& to, StunError code, bool challenge = false) {
    StunMessage resp{};
    if (!stun_agent_init_error(&writer, &resp, out.data(), out.size(), &req, code)) return;
    if (challenge) {
      stun_message_append_string(&resp, STUN_ATTRIBUTE_REALM, creds.realm.c_str());
      stun_message_append_string(&resp, STUN_ATTRIBUTE_NONCE, nonce_for(to, code == STUN_ERROR_STALE_NONCE).c_str());
    }
    if (code == STUN_ERROR_UNAUTHORIZED) ++unauthorized;
    // The request's key, when it was authenticated, adds MESSAGE-INTEGRITY
    // (RFC 8489 §9.2.4: every response to an authenticated request carries it).
    send(to, stun_agent_finish_message(&writer, &resp, nullptr, 0));
  }
  bool init_success(const StunMessage& req, StunMessage& resp) {
    return stun_agent_init_response(&writer, &resp, out.data(), out.size(), &req);
  }

  // ---- the client side: STUN and ChannelData on the server port ------------

  void on_client_datagram(const Endpoint& from, std::span<const std::uint8_t> d) {
    if (d.size() < 4) return events.malformed(from, "datagram of " + std::to_string(d.size()) + " bytes");
    // RFC 8656 §12 (RFC 7983): the first byte tells STUN (0..3) from ChannelData (64..79).
    switch (d[0] >> 6) {
      case 0: return on_stun(from, d);
      case 1: return on_channel_data(from, d);
      default: return events.malformed(from, "first byte " + std::to_string(d[0]) + " is neither STUN nor ChannelData");
    }
  }

  // What a STUN message is, read before it is validated: which agent
  // (credentials, FINGERPRINT, magic cookie) validates it.
  struct StunShape {
    StunClass cls;
    unsigned method;
    bool has_fingerprint;
    bool binding;  // a Binding request
    bool classic;  // an RFC 3489 Binding request (no magic cookie)
  };

  void on_stun(const Endpoint& from, std::span<const std::uint8_t> d) {
    if (const char* why = stun_framing_error(d)) return events.malformed(from, why);

    StunMessage probe{};
    probe.agent = &auth_agent;
    probe.buffer = const_cast<std::uint8_t*>(d.data());
    probe.buffer_len = d.size();
    StunShape shape{stun_message_get_class(&probe), stun_method_of(d.data()),
                    stun_message_has_attribute(&probe, STUN_ATTRIBUTE_FINGERPRINT), false, false};
    shape.binding = shape.cls == STUN_REQUEST && shape.method == STUN_BINDING;
    shape.classic = shape.binding && !stun_message_has_cookie(&probe);
    StunAgent* agent = shape.classic   ? &classic_agent
                       : shape.binding ? (shape.has_fingerprint ? &binding_agent_fp : &binding_agent)
                                       : (shape.has_fingerprint ? &auth_agent_fp : &auth_agent);

    StunMessage req{};
    AuthCheck check{&creds};
    const StunValidationStatus status =
        stun_agent_validate(agent, &req, d.data(), d.size(), &check_credentials, &check);
    if (status != STUN_VALIDATION_SUCCESS) return on_invalid_stun(status, from, req, shape, check);

    if (shape.cls == STUN_INDICATION) {
      if (shape.method == STUN_IND_SEND) return on_send_indication(from, req);
      if (shape.method == STUN_BINDING) return;  // RFC 8489 §6.3.2: a keepalive; no response
      return events.malformed(from, "indication of unknown method " + std::to_string(shape.method));
    }
    if (shape.cls != STUN_REQUEST) return events.malformed(from, "unsolicited STUN response");
    if (shape.binding) return on_binding(from, req, shape.classic);

    // RFC 8489 §9.2.4, last check: after MESSAGE-INTEGRITY, a NONCE this server
    // no longer honours → 438 with a new one.
    if (!nonce_valid(from, req)) return send_error(req, from, STUN_ERROR_STALE_NONCE, true);

    switch (shape.method) {
      case STUN_ALLOCATE: return on_allocate(from, req);
      case STUN_REFRESH: return on_refresh(from, req);
      case STUN_CREATEPERMISSION: return on_create_permission(from, req);
      case STUN_CHANNELBIND: return on_channel_bind(from, req);
      default:
        // RFC 8489 §6.3.1: a request of a method the server does not know → 400.
        send_error(req, from, STUN_ERROR_BAD_REQUEST);
        return events.malformed(from, "request of unknown method " + std::to_string(shape.method));
    }
  }

  // A message the STUN agent did not validate: the answer RFC 8489 gives for
  // each reason (an error response, a challenge, or silence), in its order.
  void on_invalid_stun(StunValidationStatus status, const Endpoint& from, StunMessage& req, const StunShape& shape,
                       const AuthCheck& check) {
    switch (status) {
      case STUN_VALIDATION_NOT_STUN:
      case STUN_VALIDATION_INCOMPLETE_STUN: return events.malformed(from, "not a STUN message");
      case STUN_VALIDATION_BAD_REQUEST:
        // RFC 8489 §7: a wrong FINGERPRINT means it is not STUN at all; a TURN
        // request without the magic cookie gets a 400 (RFC 8656 §5).
        if (!shape.has_fingerprint && shape.cls == STUN_REQUEST) send_error(req, from, STUN_ERROR_BAD_REQUEST);
        return events.malformed(from, shape.has_fingerprint ? "FINGERPRINT does not match" : "no magic cookie");
      case STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST:
        // RFC 8489 §9.2.4: no MESSAGE-INTEGRITY → 401 with REALM and NONCE (the
        // normal first round trip); MESSAGE-INTEGRITY without USERNAME, REALM
        // or NONCE → 400.
        if (shape.cls != STUN_REQUEST)
          return events.malformed(from, "unauthenticated message of class " + std::to_string(shape.cls));
        if (stun_message_has_attribute(&req, STUN_ATTRIBUTE_MESSAGE_INTEGRITY)) {
          send_error(req, from, STUN_ERROR_BAD_REQUEST);
          return events.malformed(from, "MESSAGE-INTEGRITY without USERNAME, REALM or NONCE");
        }
        return send_error(req, from, STUN_ERROR_UNAUTHORIZED, true);
      case STUN_VALIDATION_UNAUTHORIZED: {
        // RFC 8489 §9.2.4: unknown USERNAME or wrong MESSAGE-INTEGRITY → 401 with REALM and NONCE.
        if (shape.cls != STUN_REQUEST)
          return events.malformed(from, "unauthenticated message of class " + std::to_string(shape.cls));
        const std::string why = check.failure ? check.failure : "MESSAGE-INTEGRITY does not match (wrong password)";
        events.throttled(events::kTurnAuthFailed, "rejected the credentials of " + from.to_string() + ": " + why,
                         {{"from", from.to_string()}, {"reason", why}});
        return send_error(req, from, STUN_ERROR_UNAUTHORIZED, true);
      }
      case STUN_VALIDATION_UNMATCHED_RESPONSE: return events.malformed(from, "unsolicited STUN response");
      case STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE: {
        // RFC 8489 §6.3.1: unknown comprehension-required attributes → 420 listing them.
        StunAgent* reply = shape.classic ? &classic_agent : shape.binding ? &binding_agent_fp : &writer;
        StunMessage resp{};
        return send(from, stun_agent_build_unknown_attributes_error(reply, &resp, out.data(), out.size(), &req));
      }
      case STUN_VALIDATION_UNKNOWN_ATTRIBUTE:
        // RFC 8489 §6.3.2: an indication with unknown comprehension-required attributes is discarded.
        return events.malformed(from, "indication with an unknown comprehension-required attribute");
      default: return events.malformed(from, "rejected by the STUN agent");
    }
  }

  // A TURN server is a STUN server too (RFC 8656 §5): Binding gets the
  // client's transport address in XOR-MAPPED-ADDRESS (RFC 8489 §14.2), or in
  // MAPPED-ADDRESS for an RFC 3489 client (§12.2).
  void on_binding(const Endpoint& from, const StunMessage& req, bool classic) {
    StunAgent* reply = classic ? &classic_agent : &binding_agent_fp;
    StunMessage resp{};
    if (!stun_agent_init_response(reply, &resp, out.data(), out.size(), &req)) return;
    const sockaddr_storage mapped = from.to_sockaddr();
    if (classic)
      stun_message_append_addr(&resp, STUN_ATTRIBUTE_MAPPED_ADDRESS, reinterpret_cast<const sockaddr*>(&mapped),
                               sizeof mapped);
    else stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &mapped, sizeof mapped);
    send(from, stun_agent_finish_message(reply, &resp, nullptr, 0));
  }

  // RFC 8656 §7.2 (and §8.2 for Refresh): min(requested, maximum), but never
  // below the default; zero only where it means "delete".
  static std::uint32_t granted_lifetime(const StunMessage& req, bool zero_deletes) {
    std::uint32_t requested = 0;
    if (stun_message_find32(&req, STUN_ATTRIBUTE_LIFETIME, &requested) != STUN_MESSAGE_RETURN_SUCCESS)
      return kDefaultLifetime;
    if (requested == 0 && zero_deletes) return 0;
    return std::max(kDefaultLifetime, std::min(requested, kMaxLifetime));
  }

  // REQUESTED-ADDRESS-FAMILY, if present, must be IPv4: nullopt if fine, else the error.
  static std::optional<StunError> family_error(const StunMessage& req, StunError mismatch) {
    std::uint32_t family = 0;
    switch (stun_message_find32(&req, STUN_ATTRIBUTE_REQUESTED_ADDRESS_TYPE, &family)) {
      case STUN_MESSAGE_RETURN_NOT_FOUND: return std::nullopt;
      case STUN_MESSAGE_RETURN_SUCCESS: return (family >> 24) == kFamilyIpv4 ? std::nullopt : std::optional(mismatch);
      default: return STUN_ERROR_BAD_REQUEST;
    }
  }

  void on_allocate(const Endpoint& from, const StunMessage& req) {
    TransactionId id{};
    stun_message_id(&req, id.data());
    if (Allocation* existing = allocation_of(from)) {
      if (id == existing->allocate_id && !existing->allocate_response.empty()) {
        server->send_to(from, existing->allocate_response);  // a retransmission
        return;
      }
      return send_error(req, from, STUN_ERROR_ALLOCATION_MISMATCH);  // RFC 8656 §7.2 step 2
    }
    // RFC 8656 §7.2 step 3: REQUESTED-TRANSPORT is required, and only UDP is relayed.
    std::uint32_t transport = 0;
    if (stun_message_find32(&req, STUN_ATTRIBUTE_REQUESTED_TRANSPORT, &transport) != STUN_MESSAGE_RETURN_SUCCESS)
      return send_error(req, from, STUN_ERROR_BAD_REQUEST);
    if ((transport >> 24) != kTransportUdp) return send_error(req, from, STUN_ERROR_UNSUPPORTED_TRANSPORT);
    // RFC 8656 §7.2 step 7: IPv4 only → 440 for another family.
    if (const auto error = family_error(req, STUN_ERROR_UNSUPPORTED_FAMILY)) return send_error(req, from, *error);
    // RFC 8656 §7.2 step 10: a quota.
    if (allocations.size() >= kMaxAllocations) return send_error(req, from, STUN_ERROR_ALLOCATION_QUOTA_REACHED);

    auto alloc = std::make_unique<Allocation>();
    alloc->client = from;
    alloc->allocate_id = id;
    Allocation* raw = alloc.get();
    try {
      alloc->socket = std::make_unique<UdpSocket>(
          loop, address, [this, raw](const Endpoint& peer, std::span<const std::uint8_t> data) {
            on_peer_datagram(*raw, peer, data);
          });
    } catch (const UdpSocket::Failure& e) {
      events.event(events::kTurnError, std::string("cannot open a relayed socket: ") + e.what());
      return send_error(req, from, STUN_ERROR_INSUFFICIENT_CAPACITY);  // RFC 8656 §7.2: 508
    }
    alloc->relayed = alloc->socket->local();
    const std::uint32_t lifetime = granted_lifetime(req, false);
    alloc->expires = Clock::now() + std::chrono::seconds(lifetime);

    // RFC 8656 §7.2: XOR-RELAYED-ADDRESS, LIFETIME and XOR-MAPPED-ADDRESS.
    StunMessage resp{};
    if (!init_success(req, resp)) return;
    const sockaddr_storage relayed = alloc->relayed.to_sockaddr();
    const sockaddr_storage mapped = from.to_sockaddr();
    if (stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, &relayed, sizeof relayed) !=
            STUN_MESSAGE_RETURN_SUCCESS ||
        stun_message_append32(&resp, STUN_ATTRIBUTE_LIFETIME, lifetime) != STUN_MESSAGE_RETURN_SUCCESS ||
        stun_message_append_xor_addr(&resp, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &mapped, sizeof mapped) !=
            STUN_MESSAGE_RETURN_SUCCESS)
      return;
    const size_t len = stun_agent_finish_message(&writer, &resp, nullptr, 0);
    if (len == 0) return;
    alloc->allocate_response.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(len));
    events.event(events::kTurnAllocate, "allocated " + alloc->relayed.to_string() + " for " + from.to_string(),
                 {{"client", from.to_string()}, {"relayed", alloc->relayed.to_string()}, {"lifetime_s", lifetime}});
    by_relayed[alloc->relayed] = raw;
    allocations[from] = std::move(alloc);
    send(from, len);
  }

  void on_refresh(const Endpoint& from, const StunMessage& req) {
    // RFC 8656 §5: a request other than Allocate on a 5-tuple without an allocation → 437.
    if (!allocation_of(from)) return send_error(req, from, STUN_ERROR_ALLOCATION_MISMATCH);
    const auto it = allocations.find(from);
    // RFC 8656 §8.2: REQUESTED-ADDRESS-FAMILY other than the allocation's → 443.
    if (const auto error = family_error(req, kPeerAddressFamilyMismatch)) return send_error(req, from, *error);
    const std::uint32_t lifetime = granted_lifetime(req, true);
    StunMessage resp{};
    if (!init_success(req, resp)) return;
    if (stun_message_append32(&resp, STUN_ATTRIBUTE_LIFETIME, lifetime) != STUN_MESSAGE_RETURN_SUCCESS) return;
    const size_t len = stun_agent_finish_message(&writer, &resp, nullptr, 0);
    // RFC 8656 §8.2: a desired lifetime of zero deletes the allocation.
    if (lifetime == 0) remove_allocation(it, "refreshed with lifetime 0");
    else it->second->expires = Clock::now() + std::chrono::seconds(lifetime);
    send(from, len);
  }

  // XOR-PEER-ADDRESS (the first one: libnice's stun_message_find has no way to
  // iterate repeated attributes). 400 if absent or malformed, 443 if not IPv4.
  std::optional<Endpoint> peer_address(const StunMessage& req, const Endpoint& from, bool answer_errors) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    const StunMessageReturn r = stun_message_find_xor_addr(&req, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &sa, &len);
    std::optional<Endpoint> peer;
    if (r == STUN_MESSAGE_RETURN_SUCCESS) peer = Endpoint::from_sockaddr(sa);
    if (peer) return peer;
    if (answer_errors) {
      // RFC 8656 §10.2 / §12.2: a peer of another family than the relayed address → 443.
      const bool other_family = r == STUN_MESSAGE_RETURN_SUCCESS || r == STUN_MESSAGE_RETURN_UNSUPPORTED_ADDRESS;
      send_error(req, from, other_family ? kPeerAddressFamilyMismatch : STUN_ERROR_BAD_REQUEST);
    }
    return std::nullopt;
  }

  void on_create_permission(const Endpoint& from, const StunMessage& req) {
    Allocation* a = allocation_of(from);
    if (!a) return send_error(req, from, STUN_ERROR_ALLOCATION_MISMATCH);  // RFC 8656 §5
    const auto peer = peer_address(req, from, true);  // RFC 8656 §10.2
    if (!peer) return;
    StunMessage resp{};
    if (!init_success(req, resp)) return;
    install_permission(*a, *peer);
    send(from, stun_agent_finish_message(&writer, &resp, nullptr, 0));
  }

  // RFC 8656 §9: install, or refresh to a full Permission Lifetime.
  void install_permission(Allocation& a, const Endpoint& peer) {
    const auto [it, fresh] = a.permissions.insert_or_assign(peer.ip, Clock::now() + kPermissionLifetime);
    (void)it;
    if (fresh)
      events.event(
          events::kTurnPermission, "permitted " + peer.ip_string() + " on " + a.relayed.to_string(),
          {{"client", a.client.to_string()}, {"relayed", a.relayed.to_string()}, {"peer_ip", peer.ip_string()}});
  }

  void on_channel_bind(const Endpoint& from, const StunMessage& req) {
    Allocation* a = allocation_of(from);
    if (!a) return send_error(req, from, STUN_ERROR_ALLOCATION_MISMATCH);  // RFC 8656 §5
    // RFC 8656 §12.2: CHANNEL-NUMBER and XOR-PEER-ADDRESS both present, the
    // number in 0x4000..0x4FFF, neither bound to something else → else 400.
    std::uint32_t attr = 0;
    if (stun_message_find32(&req, STUN_ATTRIBUTE_CHANNEL_NUMBER, &attr) != STUN_MESSAGE_RETURN_SUCCESS)
      return send_error(req, from, STUN_ERROR_BAD_REQUEST);
    const auto peer = peer_address(req, from, true);
    if (!peer) return;
    const auto number = static_cast<std::uint16_t>(attr >> 16);
    const auto now = Clock::now();
    if (number < kChannelMin || number > kChannelMax) return send_error(req, from, STUN_ERROR_BAD_REQUEST);
    if (const Channel* bound = a->channel(number, now); bound && bound->peer != *peer)
      return send_error(req, from, STUN_ERROR_BAD_REQUEST);
    if (const auto other = a->channel_for(*peer, now); other && *other != number)
      return send_error(req, from, STUN_ERROR_BAD_REQUEST);
    StunMessage resp{};
    if (!init_success(req, resp)) return;
    const bool fresh = !a->channel(number, now);
    a->channels[number] = Channel{*peer, now + kChannelLifetime};
    install_permission(*a, *peer);  // RFC 8656 §12.2: a ChannelBind also installs or refreshes the permission
    if (fresh)
      events.event(
          events::kTurnChannel,
          "bound channel " + std::to_string(number) + " of " + a->relayed.to_string() + " to " + peer->to_string(),
          {{"client", a->client.to_string()},
           {"relayed", a->relayed.to_string()},
           {"peer", peer->to_string()},
           {"channel", number}});
    send(from, stun_agent_finish_message(&writer, &resp, nullptr, 0));
  }

  void on_send_indication(const Endpoint& from, const StunMessage& ind) {
    // RFC 8656 §5: an indication on a 5-tuple without an allocation is silently ignored.
    Allocation* a = allocation_of(from);
    if (!a) return events.dropped(from, "Send indication without an allocation");
    // RFC 8656 §11.2: XOR-PEER-ADDRESS and DATA are both required, else discard.
    const auto peer = peer_address(ind, from, false);
    uint16_t len = 0;
    const auto* data = static_cast<const std::uint8_t*>(stun_message_find(&ind, STUN_ATTRIBUTE_DATA, &len));
    if (!peer || !data) return events.malformed(from, "Send indication without XOR-PEER-ADDRESS or DATA");
    // RFC 8656 §11.2: no permission for the peer's IP → discard.
    if (!a->permitted(peer->ip, Clock::now())) return events.dropped(from, "no permission for " + peer->ip_string());
    relay_to_peer(*a, *peer, {data, len}, true);
  }

  void on_channel_data(const Endpoint& from, std::span<const std::uint8_t> d) {
    const std::uint16_t number = read_u16(d.data());
    const std::uint16_t len = read_u16(d.data() + 2);
    // RFC 8656 §12.6: reserved numbers, or a length beyond the datagram → silently discarded.
    if (number > kChannelMax) return events.malformed(from, "ChannelData on reserved number " + std::to_string(number));
    if (len > d.size() - 4) return events.malformed(from, "ChannelData length beyond the datagram");
    Allocation* a = allocation_of(from);
    if (!a) return events.dropped(from, "ChannelData without an allocation");  // RFC 8656 §5
    // RFC 8656 §12.6: an unbound channel → discard. Receipt refreshes nothing.
    const Channel* ch = a->channel(number, Clock::now());
    if (!ch) return events.dropped(from, "ChannelData on unbound channel " + std::to_string(number));
    relay_to_peer(*a, ch->peer, d.subspan(4, len), true);
  }

  // ---- relaying --------------------------------------------------------------

  // RFC 8656 §11.2 / §12.6: out of the allocation's socket to the peer.
  bool relay_to_peer(Allocation& a, const Endpoint& peer, std::span<const std::uint8_t> data, bool tapped) {
    // Never relay into this server's own port: it would take the relayed
    // socket for a client.
    if (peer == server->local()) {
      if (tapped) events.dropped(a.client, "peer is the TURN server itself");
      return false;
    }
    std::vector<std::uint8_t> rewritten;
    if (tapped && tap) {
      RelayedDatagram rd{RelayDirection::ToPeer, a.client.to_string(), a.relayed.to_string(), peer.to_string(),
                         std::vector<std::uint8_t>(data.begin(), data.end())};
      if (!tap->on_datagram(rd)) {
        events.dropped(a.client, "the tap dropped a datagram to " + peer.to_string());
        return false;
      }
      rewritten = std::move(rd.data);
      data = rewritten;
    }
    if (!a.socket->send_to(peer, data)) return false;
    if (tapped) {
      relayed_bytes += data.size();
      ++relayed_datagrams;
    }
    return true;
  }

  // RFC 8656 §11.3: a datagram at a relayed address, from a permitted peer, goes to the client.
  void on_peer_datagram(Allocation& a, const Endpoint& from, std::span<const std::uint8_t> data) {
    const auto now = Clock::now();
    if (now >= a.expires) return events.dropped(from, "datagram for an expired allocation");
    if (!a.permitted(from.ip, now))
      return events.dropped(from, "no permission for " + from.ip_string());  // RFC 8656 §9
    relay_to_client(a, from, data, true);
  }

  bool relay_to_client(Allocation& a, const Endpoint& peer, std::span<const std::uint8_t> data, bool tapped) {
    std::vector<std::uint8_t> rewritten;
    if (tapped && tap) {
      RelayedDatagram rd{RelayDirection::ToClient, a.client.to_string(), a.relayed.to_string(), peer.to_string(),
                         std::vector<std::uint8_t>(data.begin(), data.end())};
      if (!tap->on_datagram(rd)) {
        events.dropped(peer, "the tap dropped a datagram to " + a.client.to_string());
        return false;
      }
      rewritten = std::move(rd.data);
      data = rewritten;
    }
    size_t len = 0;
    if (const auto number = a.channel_for(peer, Clock::now())) {
      // RFC 8656 §12.5: the server MUST use ChannelData when a channel is
      // bound; over UDP no padding is needed.
      if (data.size() > 0xFFFF || data.size() + 4 > out.size()) return false;
      out[0] = static_cast<std::uint8_t>(*number >> 8);
      out[1] = static_cast<std::uint8_t>(*number & 0xFF);
      out[2] = static_cast<std::uint8_t>(data.size() >> 8);
      out[3] = static_cast<std::uint8_t>(data.size() & 0xFF);
      std::copy(data.begin(), data.end(), out.begin() + 4);
      len = data.size() + 4;
    } else {
      // RFC 8656 §11.3: a Data indication with XOR-PEER-ADDRESS and DATA.
      if (data.size() > kMaxIndicationPayload) {
        if (tapped) events.dropped(peer, "datagram too large for a Data indication");
        return false;
      }
      StunMessage ind{};
      const sockaddr_storage sa = peer.to_sockaddr();
      if (!stun_agent_init_indication(&writer, &ind, out.data(), out.size(), STUN_IND_DATA) ||
          stun_message_append_xor_addr(&ind, STUN_ATTRIBUTE_XOR_PEER_ADDRESS, &sa, sizeof sa) !=
              STUN_MESSAGE_RETURN_SUCCESS ||
          stun_message_append_bytes(&ind, STUN_ATTRIBUTE_DATA, data.data(), data.size()) != STUN_MESSAGE_RETURN_SUCCESS)
        return false;
      // Indications are never authenticated (RFC 8656 §5): FINGERPRINT only.
      len = stun_agent_finish_message(&writer, &ind, nullptr, 0);
      if (len == 0) return false;
    }
    if (!server->send_to(a.client, std::span<const std::uint8_t>(out.data(), len))) return false;
    if (tapped) {
      relayed_bytes += data.size();
      ++relayed_datagrams;
    }
    return true;
  }
};

TurnNode::TurnNode(MainLoop& loop, const std::string& address, TurnCredentials creds, Timeline& timeline,
                   std::string actor)
    : impl_(std::make_unique<Impl>(loop, address, std::move(creds), timeline, std::move(actor))) {
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<UdpSocket>(
      loop, address,
      [impl](const Endpoint& from, std::span<const std::uint8_t> d) { impl->on_client_datagram(from, d); });
  impl_->schedule_sweep();
  impl_->events.event(events::kTurnListen, "TURN server listening on " + impl_->server->local().to_string(),
                      {{"address", impl_->server->local().to_string()}, {"realm", impl_->creds.realm}});
}

TurnNode::~TurnNode() = default;

std::uint16_t TurnNode::port() const { return impl_->server->local().port; }
const std::string& TurnNode::address() const { return impl_->address; }
const TurnCredentials& TurnNode::credentials() const { return impl_->creds; }
void TurnNode::set_tap(RelayTap* tap) { impl_->tap = tap; }

bool TurnNode::send_to_client(const std::string& relayed, const std::string& peer, std::span<const std::uint8_t> data) {
  const auto r = Endpoint::parse(relayed);
  const auto p = Endpoint::parse(peer);
  if (!r || !p) return false;
  const auto it = impl_->by_relayed.find(*r);
  return it != impl_->by_relayed.end() && impl_->relay_to_client(*it->second, *p, data, false);
}

bool TurnNode::send_to_peer(const std::string& relayed, const std::string& peer, std::span<const std::uint8_t> data) {
  const auto r = Endpoint::parse(relayed);
  const auto p = Endpoint::parse(peer);
  if (!r || !p) return false;
  const auto it = impl_->by_relayed.find(*r);
  return it != impl_->by_relayed.end() && impl_->relay_to_peer(*it->second, *p, data, false);
}

std::uint64_t TurnNode::relayed_bytes() const { return impl_->relayed_bytes; }
std::uint64_t TurnNode::relayed_datagrams() const { return impl_->relayed_datagrams; }
std::uint64_t TurnNode::malformed() const { return impl_->events.malformed_total(); }
std::uint64_t TurnNode::dropped() const { return impl_->events.dropped_total(); }
std::uint64_t TurnNode::unauthorized() const { return impl_->unauthorized; }
size_t TurnNode::allocations() const { return impl_->allocations.size(); }

}  // namespace sigtrust::attacks
