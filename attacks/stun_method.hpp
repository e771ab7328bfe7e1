// The method of a STUN message, for the malicious nodes.
#pragma once

#include <cstdint>

namespace sigtrust::attacks {

// RFC 8489 §5: the method is the 12 bits of the message type outside the two
// class bits. Read as a number: libnice returns any method as its StunMethod
// enum, and a value outside that enum is undefined behaviour (found by
// fuzzing the nodes). The buffer must hold a validated STUN header.
inline unsigned stun_method_of(const std::uint8_t* message) {
  const unsigned type = (static_cast<unsigned>(message[0]) << 8) | message[1];
  return ((type & 0x3E00u) >> 2) | ((type & 0x00E0u) >> 1) | (type & 0x000Fu);
}

}  // namespace sigtrust::attacks
