#include "reports/sequence_diagram.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "report_fixtures.hpp"

namespace sigtrust::reports {
namespace {

using Kind = SequenceStep::Kind;

const SequenceStep* find(const SequenceDiagram& d, const std::string& label) {
  for (const auto& s : d.steps)
    if (s.label == label) return &s;
  return nullptr;
}

TEST(ReportSequenceDiagram, LifelinesArePeersAroundRelayAndAttackerWithoutEngine) {
  const auto d = sequence_of(test::matrix_document()["runs"][1]);
  EXPECT_EQ(d.lifelines, (std::vector<std::string>{"alice", "relay", "mallory", "bob"}));
}

TEST(ReportSequenceDiagram, SignalingArrowsAndTheRewrittenOfferIsHighlighted) {
  const auto d = sequence_of(test::matrix_document()["runs"][1]);
  const auto* offer = find(d, "offer");
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(offer->kind, Kind::Arrow);
  EXPECT_EQ(d.lifelines[offer->from], "alice");
  EXPECT_EQ(d.lifelines[offer->to], "relay");
  const auto* rewritten = find(d, "offer (rewritten)");
  ASSERT_NE(rewritten, nullptr);
  EXPECT_EQ(rewritten->style, "rewritten");
  EXPECT_EQ(d.lifelines[rewritten->from], "relay");
  EXPECT_EQ(d.lifelines[rewritten->to], "bob");
  const auto* note = find(d,
                          "rewrites offer alice\xE2\x86\x92"
                          "bob");
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->kind, Kind::Note);
  EXPECT_EQ(d.lifelines[note->from], "mallory");
  const auto* answer = find(d, "answer");
  ASSERT_NE(answer, nullptr) << "the answer was not rewritten";
  EXPECT_EQ(answer->style, "signaling");
}

// Accepting the attacker's certificate is drawn as the alarm it should have
// been; accepting the intended peer's stays a plain "certificate accepted".
TEST(ReportSequenceDiagram, AcceptingTheAttackersCertificateIsDrawnAsAnAlarm) {
  RunResult r = test::run_of("swap", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected");
  r.timeline.push_back(
      {2.0, "alice", "trust.accepted", "dtls: fingerprint matches", nlohmann::json{{"certificate", "sha-256 EE:EE"}}});
  const auto d = sequence_of(result_document({r})["runs"][0]);
  const auto* bad = find(d, "accepted mallory's certificate (should have raised an alarm)");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->style, "alarm");
  RunResult honest = test::run_of("h", "none", "sdp-fingerprint", Outcome::Secure, "secure");
  honest.timeline.push_back(
      {2.0, "alice", "trust.accepted", "dtls: fingerprint matches", nlohmann::json{{"certificate", "sha-256 EE:EE"}}});
  const auto honest_diagram = sequence_of(result_document({honest})["runs"][0]);  // outlives `ok`
  const auto* ok = find(honest_diagram, "certificate accepted");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->style, "ok");
}

TEST(ReportSequenceDiagram, IceDtlsAndDataGoToWhoeverOwnedTheCertificate) {
  const auto d = sequence_of(test::matrix_document()["runs"][1]);  // mitm: alice's DTLS peer is mallory
  const auto* ice = find(d, "ICE connected");
  ASSERT_NE(ice, nullptr);
  EXPECT_TRUE(ice->both_ways);
  EXPECT_EQ(d.lifelines[ice->to], "mallory");
  const auto* dtls = find(d, "DTLS handshake (server)");
  ASSERT_NE(dtls, nullptr);
  EXPECT_EQ(dtls->style, "dtls");
  EXPECT_EQ(d.lifelines[dtls->to], "mallory");
  const auto* sent = find(d, "\"hello bob\"");
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(d.lifelines[sent->from], "alice");
  EXPECT_EQ(d.lifelines[sent->to], "mallory");
  const auto* alarm = find(d, "ALARM fingerprint-mismatch");
  ASSERT_NE(alarm, nullptr);
  EXPECT_EQ(alarm->style, "alarm");

  const auto secure = sequence_of(test::matrix_document()["runs"][0]);
  const auto* direct = find(secure, "ICE connected");
  ASSERT_NE(direct, nullptr);
  EXPECT_EQ(secure.lifelines[direct->to], "bob");
}

// Two rounds (tofu: a first contact, then the attacked session): each
// round's ICE goes where that round's DTLS peer was, and a divider marks the round.
TEST(ReportSequenceDiagram, EachRoundUsesItsOwnSession) {
  RunResult first = test::run_of("tofu", "swap-mitm", "tofu", Outcome::Secure, "secure");
  RunResult second = test::run_of("tofu", "swap-mitm", "tofu", Outcome::MitmUndetected, "mitm-undetected");
  RunResult r = first;
  r.sessions.push_back(second.sessions[0]);
  r.timeline = {{0.1, "engine", "round.start", "round 0", nullptr},
                {0.2, "alice", "signaling.connected", "joined the relay", nullptr},
                {0.3, "alice", "ice.ready", "selected pair", nullptr},
                {1.0, "engine", "round.start", "round 1", nullptr},
                {1.1, "alice", "signaling.connected", "joined the relay", nullptr},
                {1.2, "mallory", "attack.rewrite", "in the offer", nullptr},
                {1.3, "alice", "ice.ready", "selected pair", nullptr}};
  const auto d = sequence_of(result_document({r})["runs"][0]);
  std::vector<std::string> ice_to, dividers;
  for (const auto& s : d.steps) {
    if (s.label == "ICE connected") ice_to.push_back(d.lifelines[s.to]);
    if (s.kind == Kind::Divider) dividers.push_back(s.label);
  }
  EXPECT_EQ(ice_to, (std::vector<std::string>{"bob", "mallory"}));
  EXPECT_EQ(dividers, (std::vector<std::string>{"round 0", "round 1"}));
}

// For students: a time axis with its unit, a legend, events in words.
// A live session (browsers through `sigtrust relay`): drawn from what the
// relay recorded under the clients' names and from what each client reported,
// with the certificate its browser showed, coloured by ground truth.
TEST(ReportSequenceDiagram, LiveSessionIsDrawnFromTheRelayAndTheClientsReports) {
  RunResult r = test::run_of("live", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected");
  using nlohmann::json;
  r.timeline = {
      {0.5, "relay", "signaling.joined", "alice joined room /r", nullptr},
      {1.0, "alice", "signaling.offer-sent", "sent the offer in room /r", json{{"sdp", test::kSdpBefore}}},
      {1.1, "mallory", "attack.rewrite", "substituted its fingerprint in the offer in the message from alice to bob",
       json{{"from", "alice"}, {"to", "bob"}, {"before", test::kSdpBefore}, {"after", test::kSdpAfter}}},
      {1.2, "bob", "signaling.offer-received", "received the offer in room /r", json{{"sdp", test::kSdpAfter}}},
      {9.0, "relay", "relay.client-report", "alice in room /r reported a connection",
       json{{"client", "alice"}, {"connected", true}, {"remote_certificate", "sha-256 EE:EE"}, {"error", ""}}},
      {9.5, "relay", "relay.client-report", "bob in room /r reported an error: fingerprint mismatch",
       json{{"client", "bob"}, {"connected", false}, {"remote_certificate", ""}, {"error", "fingerprint mismatch"}}},
  };
  const auto d = sequence_of(result_document({r})["runs"][0]);
  EXPECT_EQ(d.lifelines, (std::vector<std::string>{"alice", "relay", "mallory", "bob"}));
  const auto* offer = find(d, "offer");
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(d.lifelines[offer->from], "alice");
  const auto* rewritten = find(d, "offer (rewritten)");
  ASSERT_NE(rewritten, nullptr);
  EXPECT_EQ(d.lifelines[rewritten->to], "bob");
  const auto* up = find(d, "DTLS + data channel open (reported)");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->kind, Kind::Arrow);
  EXPECT_EQ(d.lifelines[up->from], "alice");
  EXPECT_EQ(d.lifelines[up->to], "mallory") << "alice's DTLS peer was the attacker (ground truth)";
  const auto* shown =
      find(d, "its browser shows peer certificate sha-256 EE:EE (mallory's): should have raised an alarm");
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(shown->style, "alarm");
  EXPECT_EQ(d.lifelines[shown->from], "alice");
  const auto* refused = find(d, "refused: fingerprint mismatch");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(d.lifelines[refused->from], "bob");
}

TEST(ReportSequenceDiagram, HasALegendATimeUnitAndEventsInWords) {
  RunResult r = test::run_of("turn", "turn-mitm", "sdp-fingerprint", Outcome::Detected, "detected");
  r.timeline.push_back({2.0, "alice", "turn.allocate", "allocated 127.1.2.5:4000", nullptr});
  r.timeline.push_back({2.5, "bob", "signaling.left", "left", nullptr});
  r.timeline.push_back({2.6, "bob", "some.new-kind", "?", nullptr});
  const auto d = sequence_of(result_document({r})["runs"][0]);
  EXPECT_NE(find(d, "TURN allocation"), nullptr);
  EXPECT_NE(find(d, "left the relay"), nullptr);
  EXPECT_NE(find(d, "some new kind"), nullptr);
  for (const auto& s : d.steps) EXPECT_EQ(s.label.find("turn.allocate"), std::string::npos);
  const std::string svg = sequence_svg(d, "r");
  EXPECT_NE(svg.find("<text class=\"time axis\" x=\"4\" y=\"24\">ms</text>"), std::string::npos);
  EXPECT_NE(svg.find("<g class=\"legend\">"), std::string::npos);
  for (const char* item : {"signaling message", "changed by the attacker", "ICE", "DTLS handshake", "application data",
                           "alarm", "check passed"})
    EXPECT_NE(svg.find(std::string(">") + item + "</text>"), std::string::npos) << item;
}

// Long labels wrap over several lines instead of being cut: every word of a
// long message and of a long note is in the drawing, not only on hover.
TEST(ReportSequenceDiagram, LongLabelsWrapAndNothingIsCut) {
  RunResult r = test::run_of("swap", "swap-mitm", "sdp-fingerprint", Outcome::MitmUndetected, "mitm-undetected");
  const std::string message =
      "please co-sign tx 4f2a: 1 BTC to bob, fee 0.0001 BTC, change to 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy";
  r.timeline.push_back({2.0, "alice", "data.sent", "sent " + message, nullptr});
  r.timeline.push_back({2.1, "mallory", "attack.read", "read " + message, nullptr});
  const std::string svg = sequence_svg(sequence_of(result_document({r})["runs"][0]), "w");
  std::string drawn;  // the text of every <tspan>, as it is drawn
  for (std::size_t at = svg.find("<tspan"); at != std::string::npos; at = svg.find("<tspan", at + 1)) {
    const std::size_t open = svg.find('>', at) + 1;
    drawn += svg.substr(open, svg.find("</tspan>", open) - open) + " ";
  }
  std::istringstream words(message);
  for (std::string w; words >> w;) {
    if (w.size() <= 26) {
      EXPECT_NE(drawn.find(w), std::string::npos) << w << " missing from " << drawn;
    }
  }
  EXPECT_NE(drawn.find("3J98t1WpEZ73CNmQviecrnyiWr"), std::string::npos) << "a long word is split, not cut";
  EXPECT_NE(drawn.find("nqRhWNLy"), std::string::npos);
  EXPECT_NE(svg.find("dy=\"12\""), std::string::npos) << "several lines";
}

TEST(ReportSequenceDiagram, SvgHasALifelinePerActorAndEscapesLabels) {
  const auto d = sequence_of(test::hostile_document()["runs"][0]);
  const std::string svg = sequence_svg(d, "r1");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(test::count(svg, "<g class=\"lifeline\">"), d.lifelines.size());
  EXPECT_EQ(test::count(svg, "<g class=\"step "), d.steps.size());
  EXPECT_NE(svg.find("marker-end=\"url(#r1-rewritten)\""), std::string::npos);
  EXPECT_EQ(svg.find("<img"), std::string::npos);
  EXPECT_EQ(svg.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace sigtrust::reports
