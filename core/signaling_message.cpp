#include "core/signaling_message.hpp"

namespace sigtrust {
namespace {

// nlohmann::json parses iteratively, but copying, dumping and comparing a value recurse once per
// level: 64 KiB of "[[[..." (32,000 levels) overflows the stack of an ASan build or of a thread
// with a small stack. Real messages nest two or three levels deep.
constexpr int kMaxSignalingDepth = 16;

}  // namespace

std::string_view to_string(SignalingMessage::Type t) {
  switch (t) {
    case SignalingMessage::Type::Ready: return "ready";
    case SignalingMessage::Type::Offer: return "offer";
    case SignalingMessage::Type::Answer: return "answer";
    case SignalingMessage::Type::Candidate: return "candidate";
    case SignalingMessage::Type::Bye: return "bye";
    case SignalingMessage::Type::Report: return "report";
  }
  return "unknown";
}

Result<SignalingMessage> parse_signaling(std::string_view text) {
  if (text.size() > kMaxSignalingMessage) return Error{"signaling message over 64 KiB"};
  // `depth` counts the containers around the one being opened; refusing it keeps the parser from
  // building anything below it.
  bool too_deep = false;
  const auto bound_depth = [&too_deep](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    const bool opens =
        event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
    if (!opens || depth < kMaxSignalingDepth) return true;
    too_deep = true;
    return false;
  };
  nlohmann::json j = nlohmann::json::parse(text, bound_depth, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"signaling message is not JSON"};
  if (too_deep) return Error{"signaling message nests deeper than 16 levels"};
  if (!j.is_object()) return Error{"signaling message is not a JSON object"};
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return Error{"signaling message has no string \"type\""};
  const std::string& t = type->get_ref<const std::string&>();
  SignalingMessage m;
  if (t == "ready") m.type = SignalingMessage::Type::Ready;
  else if (t == "bye") m.type = SignalingMessage::Type::Bye;
  else if (t == "offer" || t == "answer") {
    m.type = t == "offer" ? SignalingMessage::Type::Offer : SignalingMessage::Type::Answer;
    auto sdp = j.find("sdp");
    if (sdp == j.end() || !sdp->is_string()) return Error{"\"" + t + "\" message has no string \"sdp\""};
    m.sdp = sdp->get<std::string>();
  } else if (t == "candidate") {
    m.type = SignalingMessage::Type::Candidate;
    auto c = j.find("candidate");
    if (c == j.end() || !(c->is_object() || c->is_null()))
      return Error{"\"candidate\" message has no object \"candidate\""};
    m.candidate = *c;
  } else if (t == "report") {
    m.type = SignalingMessage::Type::Report;
    auto r = j.find("report");
    if (r == j.end() || !r->is_object()) return Error{"\"report\" message has no object \"report\""};
    m.report = *r;
  } else {
    return Error{"unknown signaling message type \"" + t.substr(0, 32) + "\""};
  }
  return m;
}

std::string serialize(const SignalingMessage& m) {
  nlohmann::json j{{"type", std::string(to_string(m.type))}};
  if (m.type == SignalingMessage::Type::Offer || m.type == SignalingMessage::Type::Answer) j["sdp"] = m.sdp;
  if (m.type == SignalingMessage::Type::Candidate) j["candidate"] = m.candidate;
  if (m.type == SignalingMessage::Type::Report) j["report"] = m.report;
  return j.dump();
}

}  // namespace sigtrust
