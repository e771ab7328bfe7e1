#include "core/signaling_adapter.hpp"

namespace sigtrust {
namespace {

using nlohmann::json;

// Real frames nest three or four levels deep (PeerJS: frame, payload, sdp);
// a deep one would make copying and dumping recurse once per level.
constexpr int kMaxDepth = 16;

std::string string_at(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// A JSON Pointer lookup that never throws (nlohmann's at() does on a miss).
const json* find_at(const json& j, const json::json_pointer& p) {
  try {
    if (!j.contains(p)) return nullptr;
    return &j.at(p);
  } catch (const json::exception&) {
    return nullptr;
  }
}

}  // namespace

Result<json> parse_bounded_json(std::string_view text) {
  if (text.size() > kMaxSignalingMessage) return Error{"message over 64 KiB"};
  bool too_deep = false;
  const auto bound_depth = [&too_deep](int depth, json::parse_event_t event, json&) {
    const bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (!opens || depth < kMaxDepth) return true;
    too_deep = true;
    return false;
  };
  json j = json::parse(text, bound_depth, /*allow_exceptions=*/false);
  if (too_deep) return Error{"message nests deeper than 16 levels"};
  if (j.is_discarded()) return Error{"message is not JSON"};
  if (!j.is_object()) return Error{"message is not a JSON object"};
  return j;
}

bool valid_peerjs_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxPeerJsId || !is_alnum(id.front()) || !is_alnum(id.back())) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (is_alnum(c)) continue;
    if ((c != '-' && c != '_') || !is_alnum(id[i + 1])) return false;  // never the last (checked above)
  }
  return true;
}

Result<PeerJsMessage> parse_peerjs(std::string_view text) {
  auto parsed = parse_bounded_json(text);
  if (!parsed) return parsed.error();
  const json& j = *parsed;
  PeerJsMessage m;
  const auto type = j.find("type");
  if (type == j.end() || !type->is_string() || type->get_ref<const std::string&>().empty())
    return Error{"PeerJS message has no string \"type\""};
  m.type = type->get<std::string>();
  m.src = string_at(j, "src");
  m.dst = string_at(j, "dst");
  if (const auto p = j.find("payload"); p != j.end()) m.payload = *p;
  const bool sdp = m.type == "OFFER" || m.type == "ANSWER";
  if (!sdp && m.type != "CANDIDATE") return m;
  if (!valid_peerjs_id(m.dst)) return Error{m.type + " has no valid \"dst\" peer id"};
  if (!m.payload.is_object()) return Error{m.type + " has no object \"payload\""};
  m.connection_id = string_at(m.payload, "connectionId");
  if (!valid_peerjs_id(m.connection_id)) return Error{m.type + " has no valid \"payload.connectionId\""};
  if (sdp) {
    const auto s = m.payload.find("sdp");
    m.sdp = s != m.payload.end() ? string_at(*s, "sdp") : "";
    if (m.sdp.empty()) return Error{m.type + " has no string \"payload.sdp.sdp\""};
  } else {
    const auto c = m.payload.find("candidate");
    if (c == m.payload.end() || !(c->is_object() || c->is_null()))
      return Error{"CANDIDATE has no object \"payload.candidate\""};
    m.candidate = *c;
  }
  return m;
}

std::string peerjs_frame(const PeerJsMessage& m) {
  json j{{"type", m.type}};
  if (!m.src.empty()) j["src"] = m.src;
  if (!m.dst.empty()) j["dst"] = m.dst;
  if (!m.payload.is_null()) j["payload"] = m.payload;
  // Strings came from parsed JSON (valid UTF-8); should one not be, it is replaced, never a throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::string> peerjs_to_internal(const PeerJsMessage& m) {
  SignalingMessage s;
  if (m.type == "OFFER" || m.type == "ANSWER") {
    s.type = m.type == "OFFER" ? SignalingMessage::Type::Offer : SignalingMessage::Type::Answer;
    s.sdp = m.sdp;
  } else if (m.type == "CANDIDATE") {
    s.type = SignalingMessage::Type::Candidate;
    s.candidate = m.candidate;
  } else {
    return std::nullopt;
  }
  return serialize(s);
}

Result<PeerJsMessage> peerjs_from_internal(PeerJsMessage original, std::string_view internal) {
  auto s = parse_signaling(internal);
  if (!s) return s.error();
  using T = SignalingMessage::Type;
  if ((s->type == T::Offer || s->type == T::Answer) && original.payload.is_object()) {
    original.sdp = s->sdp;
    auto& sdp = original.payload["sdp"];
    if (!sdp.is_object()) sdp = json::object();
    sdp["sdp"] = s->sdp;
    // RTCSessionDescriptionInit: the type goes with the SDP.
    sdp["type"] = s->type == T::Offer ? "offer" : "answer";
  } else if (s->type == T::Candidate && original.payload.is_object()) {
    original.candidate = s->candidate;
    original.payload["candidate"] = s->candidate;
  } else {
    return Error{"an interceptor delivered a " + std::string(to_string(s->type)) + " for a PeerJS " + original.type};
  }
  return original;
}

Result<json::json_pointer> parse_json_pointer(const std::string& text) {
  if (text.empty() || text.front() != '/') return Error{"a JSON Pointer starts with '/', got '" + text + "'"};
  try {
    return json::json_pointer(text);
  } catch (const json::exception& e) {
    return Error{"'" + text + "' is not a JSON Pointer (RFC 6901): " + e.what()};
  }
}

Result<PointerMessage> parse_pointer_message(std::string_view text, const JsonPointerPaths& paths) {
  auto parsed = parse_bounded_json(text);
  if (!parsed) return parsed.error();
  PointerMessage m;
  m.frame = std::move(*parsed);
  if (const json* sdp = find_at(m.frame, paths.sdp)) {
    if (!sdp->is_string() || sdp->get_ref<const std::string&>().rfind("v=", 0) != 0)
      return Error{"the value at " + paths.sdp.to_string() + " is not SDP text"};
    m.kind = PointerMessage::Kind::Sdp;
    m.sdp = sdp->get<std::string>();
    return m;
  }
  if (paths.candidate)
    if (const json* c = find_at(m.frame, *paths.candidate)) {
      m.kind = PointerMessage::Kind::Candidate;
      if (c->is_string()) m.candidate = json{{"candidate", *c}};
      else if (c->is_object() && c->contains("candidate") && (*c)["candidate"].is_string()) m.candidate = *c;
      else if (c->is_null()) m.candidate = json::object();  // end of candidates
      else return Error{"the value at " + paths.candidate->to_string() + " is not a candidate"};
    }
  return m;
}

std::string pointer_to_internal(const PointerMessage& m, SignalingMessage::Type sdp_type) {
  SignalingMessage s;
  if (m.kind == PointerMessage::Kind::Sdp) {
    s.type = sdp_type;
    s.sdp = m.sdp;
  } else {
    s.type = SignalingMessage::Type::Candidate;
    s.candidate = m.candidate;
  }
  return serialize(s);
}

Result<std::string> pointer_from_internal(const PointerMessage& original, const JsonPointerPaths& paths,
                                          std::string_view internal) {
  auto s = parse_signaling(internal);
  if (!s) return s.error();
  json out = original.frame;
  using T = SignalingMessage::Type;
  try {
    if ((s->type == T::Offer || s->type == T::Answer) && original.kind == PointerMessage::Kind::Sdp) {
      out[paths.sdp] = s->sdp;
    } else if (s->type == T::Candidate && original.kind == PointerMessage::Kind::Candidate && paths.candidate) {
      json& c = out[*paths.candidate];
      // Written back in the shape it came in: a line, or an object.
      if (c.is_string()) c = s->candidate.is_object() ? s->candidate.value("candidate", "") : "";
      else if (c.is_null() && (s->candidate.is_null() || s->candidate.empty())) c = nullptr;  // end of candidates
      else c = s->candidate;
    } else {
      return Error{"an interceptor delivered a " + std::string(to_string(s->type)) + " for another kind of frame"};
    }
  } catch (const json::exception& e) {
    return Error{std::string("cannot write the frame back: ") + e.what()};
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sigtrust
