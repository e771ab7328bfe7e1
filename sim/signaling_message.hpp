// The JSON signaling protocol spoken between peers and the relay:
//   {"type":"ready"} {"type":"offer","sdp":...} {"type":"answer","sdp":...}
//   {"type":"candidate","candidate":{...}} {"type":"bye"}
// Error policy: messages come from the network; anything malformed is an
// Error with a reason, never a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "sim/result.hpp"

namespace sigtrust {

struct SignalingMessage {
  enum class Type { Ready, Offer, Answer, Candidate, Bye };
  Type type = Type::Ready;
  std::string sdp;            // offer / answer
  nlohmann::json candidate;   // candidate
};

inline constexpr size_t kMaxSignalingMessage = 64 * 1024;

Result<SignalingMessage> parse_signaling(std::string_view text);
std::string serialize(const SignalingMessage& m);
std::string_view to_string(SignalingMessage::Type t);

}  // namespace sigtrust
