// The method and framing of a STUN message, for the malicious nodes.
#pragma once

#include <stun/stunmessage.h>

#include <cstdint>
#include <span>

namespace sigtrust::attacks {

// RFC 8489 §5: the method is the 12 bits of the message type outside the two
// class bits. Read as a number: libnice returns any method as its StunMethod
// enum, and a value outside that enum is undefined behaviour (found by
// fuzzing the nodes). The buffer must hold a validated STUN header.
inline unsigned stun_method_of(const std::uint8_t* message) {
  const unsigned type = (static_cast<unsigned>(message[0]) << 8) | message[1];
  return ((type & 0x3E00u) >> 2) | ((type & 0x00E0u) >> 1) | (type & 0x000Fu);
}

// Why `d` is not one whole STUN message, or nullptr. libnice's attribute
// lookups trust the header's length, so the nodes check framing first
// (RFC 8489 §6.3: header, length, attribute walk).
inline const char* stun_framing_error(std::span<const std::uint8_t> d) {
  const int framed = stun_message_validate_buffer_length(d.data(), d.size(), true);
  if (framed == STUN_MESSAGE_BUFFER_INCOMPLETE) return "STUN length runs past the end of the datagram";
  if (framed <= 0 || static_cast<size_t>(framed) != d.size()) return "not a well-formed STUN message";
  return nullptr;
}

}  // namespace sigtrust::attacks
