#include "core/signaling_adapter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sigtrust {
namespace {

using nlohmann::json;

const std::string kSdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

// An OFFER as peerjs 1.5 sends it (DataConnection, raw serialization).
std::string peerjs_offer() {
  return json{{"type", "OFFER"},
              {"dst", "bob"},
              {"payload",
               {{"sdp", {{"type", "offer"}, {"sdp", kSdp}}},
                {"type", "data"},
                {"connectionId", "dc_abc123"},
                {"label", "dc_abc123"},
                {"reliable", true},
                {"serialization", "raw"},
                {"browser", "chrome"}}}}
      .dump();
}

std::string error_of(std::string_view text) {
  std::string message;
  EXPECT_NO_THROW({
    auto r = parse_peerjs(text);
    if (!r) message = r.error().message;
  }) << text.substr(0, 80);
  return message;
}

TEST(PeerJsMessage, OfferCarriesItsSdpDestinationAndConnection) {
  auto m = parse_peerjs(peerjs_offer());
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, "OFFER");
  EXPECT_EQ(m->dst, "bob");
  EXPECT_EQ(m->connection_id, "dc_abc123");
  EXPECT_EQ(m->sdp, kSdp);
  auto internal = parse_signaling(*peerjs_to_internal(*m));
  ASSERT_TRUE(internal.ok());
  EXPECT_EQ(internal->type, SignalingMessage::Type::Offer);
  EXPECT_EQ(internal->sdp, kSdp);
}

TEST(PeerJsMessage, WritingBackChangesOnlyTheSdpAndKeepsEveryOtherField) {
  auto m = parse_peerjs(peerjs_offer());
  ASSERT_TRUE(m.ok());
  m->src = "alice";
  SignalingMessage changed{SignalingMessage::Type::Offer, kSdp + "a=x\r\n", {}, {}};
  auto back = peerjs_from_internal(*m, serialize(changed));
  ASSERT_TRUE(back.ok()) << back.error().message;
  const json out = json::parse(peerjs_frame(*back));
  EXPECT_EQ(out["payload"]["sdp"]["sdp"], kSdp + "a=x\r\n");
  EXPECT_EQ(out["payload"]["sdp"]["type"], "offer");
  EXPECT_EQ(out["payload"]["serialization"], "raw");
  EXPECT_EQ(out["payload"]["connectionId"], "dc_abc123");
  EXPECT_EQ(out["src"], "alice");
  EXPECT_EQ(out["dst"], "bob");
  // PeerServer relays {type, src, dst, payload} and nothing else.
  EXPECT_EQ(out.size(), 4u);
}

TEST(PeerJsMessage, CandidateIsTheTrickledCandidateObject) {
  const json c{
      {"candidate", "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host"}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}};
  const std::string text = json{{"type", "CANDIDATE"},
                                {"dst", "bob"},
                                {"payload", {{"candidate", c}, {"type", "data"}, {"connectionId", "dc_1"}}}}
                               .dump();
  auto m = parse_peerjs(text);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->candidate, c);
  auto internal = parse_signaling(*peerjs_to_internal(*m));
  ASSERT_TRUE(internal.ok());
  EXPECT_EQ(internal->type, SignalingMessage::Type::Candidate);
  EXPECT_EQ(internal->candidate, c);
}

TEST(PeerJsMessage, OtherTypesPassWithoutTranslation) {
  for (const char* text : {R"({"type":"HEARTBEAT"})", R"({"type":"LEAVE","dst":"bob"})", R"({"type":"WHATEVER"})"}) {
    auto m = parse_peerjs(text);
    ASSERT_TRUE(m.ok()) << text;
    EXPECT_FALSE(peerjs_to_internal(*m).has_value()) << text;
  }
}

TEST(PeerJsMessage, MalformedFramesAreErrorsWithReasons) {
  EXPECT_EQ(error_of("not json"), "message is not JSON");
  EXPECT_EQ(error_of("[1,2]"), "message is not a JSON object");
  EXPECT_EQ(error_of(R"({"dst":"bob"})"), "PeerJS message has no string \"type\"");
  EXPECT_EQ(error_of(R"({"type":"OFFER","payload":{}})"), "OFFER has no valid \"dst\" peer id");
  EXPECT_EQ(error_of(R"({"type":"OFFER","dst":"bob"})"), "OFFER has no object \"payload\"");
  EXPECT_EQ(error_of(R"({"type":"OFFER","dst":"bob","payload":{"sdp":{"sdp":"v=0"}}})"),
            "OFFER has no valid \"payload.connectionId\"");
  EXPECT_EQ(error_of(R"({"type":"ANSWER","dst":"bob","payload":{"connectionId":"dc_1","sdp":"v=0"}})"),
            "ANSWER has no string \"payload.sdp.sdp\"");
  EXPECT_EQ(error_of(R"({"type":"CANDIDATE","dst":"bob","payload":{"connectionId":"dc_1","candidate":"x"}})"),
            "CANDIDATE has no object \"payload.candidate\"");
  EXPECT_EQ(error_of(R"({"type":"OFFER","dst":"../etc","payload":{}})"), "OFFER has no valid \"dst\" peer id");
  EXPECT_EQ(error_of(std::string(70000, ' ')), "message over 64 KiB");
  EXPECT_EQ(error_of(std::string(100, '[') + std::string(100, ']')), "message nests deeper than 16 levels");
}

TEST(PeerJsMessage, IdsAreWhatPeerJsAccepts) {
  for (const char* ok : {"alice", "dc_abc123", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "a"})
    EXPECT_TRUE(valid_peerjs_id(ok)) << ok;
  for (const char* bad : {"", "-a", "a-", "a--b", "a b", "a/b", "a\"b"}) EXPECT_FALSE(valid_peerjs_id(bad)) << bad;
  EXPECT_FALSE(valid_peerjs_id(std::string(65, 'a')));
}

JsonPointerPaths paths(const char* sdp, const char* candidate) {
  return JsonPointerPaths{*parse_json_pointer(sdp), *parse_json_pointer(candidate)};
}

TEST(PointerMessage, FindsTheSdpAndCandidateWhereThePointersSay) {
  const auto p = paths("/body/desc/sdp", "/body/line");
  auto sdp = parse_pointer_message(
      json{{"kind", "description"}, {"body", {{"desc", {{"type", "offer"}, {"sdp", kSdp}}}}}}.dump(), p);
  ASSERT_TRUE(sdp.ok()) << sdp.error().message;
  EXPECT_EQ(sdp->kind, PointerMessage::Kind::Sdp);
  EXPECT_EQ(sdp->sdp, kSdp);
  auto cand = parse_pointer_message(R"({"kind":"ice","body":{"line":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}})", p);
  ASSERT_TRUE(cand.ok());
  EXPECT_EQ(cand->kind, PointerMessage::Kind::Candidate);
  EXPECT_EQ(cand->candidate, (json{{"candidate", "candidate:1 1 udp 1 127.0.0.1 9 typ host"}}));
  auto other = parse_pointer_message(R"({"kind":"chat","body":[1,2,3]})", p);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->kind, PointerMessage::Kind::Other);
}

TEST(PointerMessage, WritingBackKeepsTheApplicationsShape) {
  const auto p = paths("/body/desc/sdp", "/body/line");
  const json frame{{"kind", "description"}, {"n", 7}, {"body", {{"desc", {{"type", "answer"}, {"sdp", kSdp}}}}}};
  auto m = parse_pointer_message(frame.dump(), p);
  ASSERT_TRUE(m.ok());
  SignalingMessage changed{SignalingMessage::Type::Answer, "v=0\r\nchanged\r\n", {}, {}};
  auto out = pointer_from_internal(*m, p, serialize(changed));
  ASSERT_TRUE(out.ok()) << out.error().message;
  json expected = frame;
  expected["body"]["desc"]["sdp"] = "v=0\r\nchanged\r\n";
  EXPECT_EQ(json::parse(*out), expected);

  auto c = parse_pointer_message(R"({"body":{"line":"candidate:a"}})", p);
  ASSERT_TRUE(c.ok());
  SignalingMessage cand{SignalingMessage::Type::Candidate, "", json{{"candidate", "candidate:b"}}, {}};
  auto cout = pointer_from_internal(*c, p, serialize(cand));
  ASSERT_TRUE(cout.ok());
  EXPECT_EQ(json::parse(*cout), (json{{"body", {{"line", "candidate:b"}}}}));

  // The end of candidates (null) stays null.
  auto end = parse_pointer_message(R"({"body":{"line":null}})", p);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->kind, PointerMessage::Kind::Candidate);
  auto eout = pointer_from_internal(*end, p, pointer_to_internal(*end, SignalingMessage::Type::Offer));
  ASSERT_TRUE(eout.ok());
  EXPECT_EQ(json::parse(*eout), (json{{"body", {{"line", nullptr}}}}));
}

TEST(PointerMessage, BadInputIsAnErrorNeverAThrow) {
  const auto p = paths("/body/0/sdp", "/c");
  for (const char* text : {"nope", R"({"body":{"0":{"sdp":5}}})", R"({"body":[{"sdp":"not sdp"}]})", R"({"c":5})"}) {
    EXPECT_NO_THROW({
      auto r = parse_pointer_message(text, p);
      EXPECT_FALSE(r.ok()) << text;
    });
  }
  // An array index that is not a number, or past the end: simply not there.
  EXPECT_NO_THROW({
    auto r = parse_pointer_message(R"({"body":{"x":1}})", paths("/body/x/y", "/body/-"));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->kind, PointerMessage::Kind::Other);
  });
  EXPECT_FALSE(parse_json_pointer("body/sdp").ok());
  EXPECT_FALSE(parse_json_pointer("/a/~2").ok());
  EXPECT_TRUE(parse_json_pointer("/a~1b/~0c").ok());
}

}  // namespace
}  // namespace sigtrust
