// Attacks at the TURN and STUN positions, on the project's own malicious
// nodes (turn_node, stun_node). The peers gather from the attacker's node
// instead of an honest one; what crosses it is seen through a RelayTap.
#pragma once

#include <memory>

#include "sim/attack.hpp"

namespace sigtrust::attacks {

// turn-eavesdrop: records every relayed datagram.
std::unique_ptr<Attack> make_turn_eavesdrop(AttackWorld& world);
// turn-tamper: flips a byte in relayed DTLS handshake records.
std::unique_ptr<Attack> make_turn_tamper(AttackWorld& world);
// turn-mitm: terminates DTLS towards each peer with the attacker's certificate.
std::unique_ptr<Attack> make_turn_mitm(AttackWorld& world);
// stun-lie: answers Binding requests with the attacker's address and forwards.
std::unique_ptr<Attack> make_stun_lie(AttackWorld& world);

}  // namespace sigtrust::attacks
