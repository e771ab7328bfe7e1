// The JSON signaling protocol spoken between peers and the relay:
//   {"type":"ready"} {"type":"offer","sdp":...} {"type":"answer","sdp":...}
//   {"type":"candidate","candidate":{...}} {"type":"bye"}
//   {"type":"report","report":{...}}: what a client saw of its own session
//   (the live demo page sends it); the live relay keeps it, never forwards it
// Error policy: messages come from the network; anything malformed is an
// Error with a reason, never a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace sigtrust {

struct SignalingMessage {
  enum class Type { Ready, Offer, Answer, Candidate, Bye, Report };
  Type type = Type::Ready;
  std::string sdp;  // offer / answer
  nlohmann::json candidate;  // candidate
  nlohmann::json report;  // report (an object)
};

inline constexpr size_t kMaxSignalingMessage = 64 * 1024;

Result<SignalingMessage> parse_signaling(std::string_view text);
std::string serialize(const SignalingMessage& m);
std::string_view to_string(SignalingMessage::Type t);

}  // namespace sigtrust
