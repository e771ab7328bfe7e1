#include "core/signaling_message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sigtrust {
namespace {

using Type = SignalingMessage::Type;

SignalingMessage round_trip(const SignalingMessage& m) {
  const std::string text = serialize(m);
  auto back = parse_signaling(text);
  EXPECT_TRUE(back.ok()) << text << ": " << (back.ok() ? "" : back.error().message);
  return back.ok() ? *back : SignalingMessage{};
}

// Parses `text` without letting anything escape; returns the error message
// (empty if it parsed).
std::string error_of(const std::string& text) {
  std::string message;
  EXPECT_NO_THROW({
    auto r = parse_signaling(text);
    if (!r.ok()) message = r.error().message;
  }) << text.substr(0, 80);
  return message;
}

TEST(SignalingMessage, ReadyRoundTrips) {
  SignalingMessage m;
  m.type = Type::Ready;
  EXPECT_EQ(round_trip(m).type, Type::Ready);
  EXPECT_EQ(nlohmann::json::parse(serialize(m)), nlohmann::json({{"type", "ready"}}));
}

TEST(SignalingMessage, ByeRoundTrips) {
  SignalingMessage m;
  m.type = Type::Bye;
  EXPECT_EQ(round_trip(m).type, Type::Bye);
}

TEST(SignalingMessage, OfferRoundTripsWithSdp) {
  SignalingMessage m;
  m.type = Type::Offer;
  m.sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  auto back = round_trip(m);
  EXPECT_EQ(back.type, Type::Offer);
  EXPECT_EQ(back.sdp, m.sdp);
}

TEST(SignalingMessage, AnswerRoundTripsWithSdp) {
  SignalingMessage m;
  m.type = Type::Answer;
  m.sdp = "v=0\r\na=quote:\"and\\backslash\"\r\n";
  auto back = round_trip(m);
  EXPECT_EQ(back.type, Type::Answer);
  EXPECT_EQ(back.sdp, m.sdp);
}

TEST(SignalingMessage, CandidateRoundTripsWithObject) {
  SignalingMessage m;
  m.type = Type::Candidate;
  m.candidate = {{"candidate", "candidate:1 1 udp 2122260223 127.0.0.2 40001 typ host"}, {"sdpMid", "0"}};
  auto back = round_trip(m);
  EXPECT_EQ(back.type, Type::Candidate);
  EXPECT_EQ(back.candidate, m.candidate);
}

TEST(SignalingMessage, CandidateWithNullIsEndOfCandidates) {
  auto r = parse_signaling(R"({"type":"candidate","candidate":null})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->type, Type::Candidate);
  EXPECT_TRUE(r->candidate.is_null());
}

TEST(SignalingMessage, ReportRoundTripsWithObject) {
  SignalingMessage m;
  m.type = Type::Report;
  m.report = {{"connected", true}, {"remoteCertificate", "sha-256 AB:CD"}, {"sas", "123 456"}};
  auto back = round_trip(m);
  EXPECT_EQ(back.type, Type::Report);
  EXPECT_EQ(back.report, m.report);
}

TEST(SignalingMessage, TypeNamesMatchTheProtocol) {
  EXPECT_EQ(to_string(Type::Ready), "ready");
  EXPECT_EQ(to_string(Type::Offer), "offer");
  EXPECT_EQ(to_string(Type::Answer), "answer");
  EXPECT_EQ(to_string(Type::Candidate), "candidate");
  EXPECT_EQ(to_string(Type::Bye), "bye");
  EXPECT_EQ(to_string(Type::Report), "report");
}

TEST(SignalingMessage, UnknownFieldsAreIgnored) {
  auto r = parse_signaling(R"({"type":"offer","sdp":"v=0","extra":[1,2,3]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sdp, "v=0");
}

// ----- Errors: each returns an error, never throws ---------------------------

TEST(SignalingMessageErrors, NonJsonIsAnError) {
  EXPECT_FALSE(error_of("hello relay").empty());
  EXPECT_FALSE(error_of("{\"type\":\"ready\"").empty());  // truncated
  EXPECT_FALSE(error_of("").empty());
}

TEST(SignalingMessageErrors, ArrayIsAnError) {
  EXPECT_FALSE(error_of(R"([{"type":"ready"}])").empty());
  EXPECT_FALSE(error_of("42").empty());
  EXPECT_FALSE(error_of("\"ready\"").empty());
}

TEST(SignalingMessageErrors, MissingTypeIsAnError) {
  EXPECT_FALSE(error_of(R"({"sdp":"v=0"})").empty());
  EXPECT_FALSE(error_of(R"({"type":7})").empty());
  EXPECT_FALSE(error_of(R"({"type":null})").empty());
}

TEST(SignalingMessageErrors, UnknownTypeIsAnError) {
  const std::string message = error_of(R"({"type":"pranswer","sdp":"v=0"})");
  EXPECT_NE(message.find("pranswer"), std::string::npos) << message;
}

TEST(SignalingMessageErrors, OfferWithoutSdpIsAnError) {
  EXPECT_FALSE(error_of(R"({"type":"offer"})").empty());
  EXPECT_FALSE(error_of(R"({"type":"offer","sdp":5})").empty());
  EXPECT_FALSE(error_of(R"({"type":"answer"})").empty());
}

TEST(SignalingMessageErrors, ReportWithoutObjectIsAnError) {
  EXPECT_FALSE(error_of(R"({"type":"report"})").empty());
  EXPECT_FALSE(error_of(R"({"type":"report","report":[1]})").empty());
  EXPECT_FALSE(error_of(R"({"type":"report","report":null})").empty());
}

TEST(SignalingMessageErrors, CandidateWithoutObjectIsAnError) {
  EXPECT_FALSE(error_of(R"({"type":"candidate"})").empty());
  EXPECT_FALSE(error_of(R"({"type":"candidate","candidate":"a string"})").empty());
}

TEST(SignalingMessageErrors, OversizedMessageIsAnError) {
  // A valid offer, just over 64 KiB: refused before any JSON parsing.
  const std::string prefix = R"({"type":"offer","sdp":")";
  const std::string suffix = R"("})";
  std::string text = prefix + std::string(kMaxSignalingMessage + 1 - prefix.size() - suffix.size(), 'x') + suffix;
  ASSERT_EQ(text.size(), kMaxSignalingMessage + 1);
  EXPECT_FALSE(error_of(text).empty());

  // Exactly 64 KiB is still accepted.
  std::string at_limit = prefix + std::string(kMaxSignalingMessage - prefix.size() - suffix.size(), 'x') + suffix;
  ASSERT_EQ(at_limit.size(), kMaxSignalingMessage);
  EXPECT_TRUE(error_of(at_limit).empty());
}

TEST(SignalingMessageErrors, DeeplyNestedJsonDoesNotThrow) {
  std::string deep = R"({"type":"candidate","candidate":)";
  for (int i = 0; i < 5000; ++i) deep += "[";
  EXPECT_FALSE(error_of(deep).empty());  // unterminated: an error, and nothing escapes
}

TEST(SignalingMessageErrors, InvalidUtf8DoesNotThrow) { EXPECT_FALSE(error_of("{\"type\":\"ready\xff\"}").empty()); }

}  // namespace
}  // namespace sigtrust

// ----- Found by fuzz/signaling_fuzz (docs/fuzzing.md) ------------------------

namespace sigtrust {
namespace {

// `levels` containers in all: the message object, the candidate object and arrays inside it.
std::string candidate_nested(int levels) {
  std::string text = R"({"type":"candidate","candidate":{"a":)";
  for (int i = 2; i < levels; ++i) text += "[";
  for (int i = 2; i < levels; ++i) text += "]";
  return text + "}}";
}

// A closed, well-formed 64 KiB nest parsed fine, but copying, serializing or comparing the
// candidate recursed once per level and overflowed the stack (ASan: stack-overflow in
// basic_json's copy constructor; a plain build with a 2 MiB stack: SIGSEGV).
TEST(SignalingMessageFuzz, DeepNestWithinTheSizeLimitIsAnErrorNotAStackOverflow) {
  const std::string deep = candidate_nested(32700);
  ASSERT_LE(deep.size(), kMaxSignalingMessage);
  const std::string message = error_of(deep);
  EXPECT_NE(message.find("deeper than 16 levels"), std::string::npos) << message;
}

TEST(SignalingMessageFuzz, SixteenLevelsAreAcceptedSeventeenAreNot) {
  auto ok = parse_signaling(candidate_nested(16));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(round_trip(*ok).candidate, ok->candidate);
  EXPECT_NE(error_of(candidate_nested(17)).find("deeper than 16 levels"), std::string::npos);
  // Depth is counted in objects too, and malformed JSON is still reported as such.
  std::string objects = R"({"type":"candidate","candidate":)";
  for (int i = 0; i < 20; ++i) objects += R"({"k":)";
  objects += "1" + std::string(20, '}') + "}";
  EXPECT_NE(error_of(objects).find("deeper than 16 levels"), std::string::npos);
  EXPECT_EQ(error_of(candidate_nested(17).substr(1)), "signaling message is not JSON");
}

}  // namespace
}  // namespace sigtrust
