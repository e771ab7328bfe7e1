#include "sim/scenario.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sigtrust::scenario {
namespace {

Vocabulary test_vocabulary() {
  Vocabulary v;
  v.attacks.push_back({"none", AttackPosition::None, "honest run", {}});
  v.attacks.push_back(
      {"swap-mitm", AttackPosition::Signaling, "swaps fingerprint, credentials and candidates", {}, true});
  v.attacks.push_back({"fingerprint-only", AttackPosition::Signaling, "replaces the fingerprint only, no bridge", {}});
  v.attacks.push_back({"turn-mitm", AttackPosition::Turn, "terminates DTLS towards each peer", {}});
  v.attacks.push_back({"stun-lie", AttackPosition::Stun, "lies about the mapped address", {}});
  ParamDecl hash;
  hash.name = "hash";
  hash.type = ParamDecl::Type::Choice;
  hash.default_value = "sha-1";
  hash.choices = {"sha-1", "md5"};
  v.attacks.push_back({"downgrade-mitm", AttackPosition::Signaling, "weak-hash fingerprint", {hash}, true});
  // Test-only declaration covering the other parameter types.
  ParamDecl every{"every", ParamDecl::Type::Int, "1", {}, 1, 1000, "flip one record in N"};
  ParamDecl fraction{"fraction", ParamDecl::Type::Double, "0.5", {}, 0, 1, "share of bytes"};
  ParamDecl header{"header-only", ParamDecl::Type::Bool, "false", {}, 0, 0, "flip header bytes only"};
  ParamDecl label{"label", ParamDecl::Type::String, "", {}, 0, 0, "free text"};
  v.attacks.push_back(
      {"turn-tamper", AttackPosition::Turn, "flips bytes in relayed records", {every, fraction, header, label}});
  // As declared in trust/trust_policy.cpp: sas has a parameter, and it and oob-fingerprint need an
  // out-of-band channel.
  ParamDecl miss_rate{"miss-rate", ParamDecl::Type::Double, "0", {}, 0, 1, "chance the users overlook a mismatch"};
  // Test-only declaration: a second configuration with parameters, for the union of their parameters.
  ParamDecl idp{"idp", ParamDecl::Type::Choice, "idp.example", {"idp.example", "other.example"}, 0, 0, "trusted IdP"};
  v.trust = {{"no-verification", "accepts any certificate", {}, false},
             {"sdp-fingerprint", "RFC 8122 §5", {}, false},
             {"sas", "short authentication string", {miss_rate}, true},
             {"oob-fingerprint", "fingerprint compared out of band", {}, true},
             {"identity", "RFC 8827 identity assertion", {idp}, false},
             {"tofu", "key continuity", {}, false}};
  return v;
}

Result<Scenario> load(std::string_view yaml) { return load_string(yaml, "t.yaml", test_vocabulary()); }

// The error of a rejected file starts with `prefix` (file:line:column: ) and contains `part`.
::testing::AssertionResult rejected(std::string_view yaml, const std::string& prefix, const std::string& part) {
  const auto r = load(yaml);
  if (r.ok()) return ::testing::AssertionFailure() << "loaded, expected an error starting with " << prefix;
  const std::string& m = r.error().message;
  if (m.rfind(prefix, 0) != 0)
    return ::testing::AssertionFailure() << "error '" << m << "' does not start with " << prefix;
  if (m.find(part) == std::string::npos)
    return ::testing::AssertionFailure() << "error '" << m << "' lacks '" << part << "'";
  return ::testing::AssertionSuccess();
}

constexpr std::string_view kMinimal = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint}
  - {name: bob, trust: sdp-fingerprint}
sessions:
  - {offerer: alice, answerer: bob, expect: secure}
)";

// kMinimal with `relay` inserted before `sessions` (line 5).
std::string with_relay(std::string_view relay) {
  std::string y(kMinimal);
  y.insert(y.find("sessions:"), relay);
  return y;
}

TEST(ScenarioLoad, FullFileLoadsWithAllFields) {
  const std::string path = std::string(SIGTRUST_TEST_DATA) + "/scenarios/full.yaml";
  const auto r = load_file(path, test_vocabulary());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Scenario& s = *r;
  EXPECT_EQ(s.file, path);
  EXPECT_EQ(s.name, "wallet-cosign.downgrade");
  EXPECT_EQ(
      s.description,
      "Two co-signers of a multisig wallet; the relay downgrades the fingerprint hash and rewrites a payment order.\n");
  EXPECT_EQ(s.deadline_ms, 8000u);
  EXPECT_EQ(s.seed, 42u);

  ASSERT_EQ(s.peers.size(), 4u);
  EXPECT_EQ(s.peers[0].name, "alice");
  EXPECT_EQ(s.peers[0].trust, (std::vector<std::string>{"sdp-fingerprint", "sas"}));
  EXPECT_EQ(s.peers[0].trust_params, (ParamValues{{"miss-rate", "0"}}));
  EXPECT_EQ(s.peers[0].where.file, path);
  EXPECT_EQ(s.peers[0].where.line, 9);
  EXPECT_EQ(s.peers[0].where.column, 5);
  EXPECT_EQ(s.peers[1].trust, (std::vector<std::string>{"sdp-fingerprint"}));
  EXPECT_TRUE(s.peers[1].trust_params.empty());
  EXPECT_EQ(s.peers[3].name, "dave");
  EXPECT_EQ(s.peers[3].trust_params, (ParamValues{{"miss-rate", "0.05"}}));

  EXPECT_EQ(s.attack.name, "downgrade-mitm");
  EXPECT_EQ(s.attack.params, (ParamValues{{"hash", "md5"}}));
  ASSERT_EQ(s.attack.rewrite.size(), 1u);
  EXPECT_EQ(s.attack.rewrite[0].from, "1 BTC to bob");
  EXPECT_EQ(s.attack.rewrite[0].to, "1 BTC to mallory");
  EXPECT_EQ(s.attack.where.line, 19);
  EXPECT_EQ(s.attack.where.column, 3);

  ASSERT_EQ(s.sessions.size(), 3u);
  EXPECT_EQ(s.sessions[0].offerer, "alice");
  EXPECT_EQ(s.sessions[0].answerer, "bob");
  EXPECT_EQ(s.sessions[0].expect, "detected");
  EXPECT_EQ(s.sessions[0].round, 0u);
  EXPECT_TRUE(s.sessions[0].attacked);
  EXPECT_TRUE(s.sessions[0].out_of_band);
  ASSERT_EQ(s.sessions[0].messages.size(), 2u);
  EXPECT_EQ(s.sessions[0].messages[0].from, "alice");
  EXPECT_EQ(s.sessions[0].messages[0].text, "send 1 BTC to bob");
  EXPECT_EQ(s.sessions[0].messages[1].from, "bob");
  EXPECT_EQ(s.sessions[0].where.line, 24);
  EXPECT_EQ(s.sessions[0].where.column, 5);
  EXPECT_EQ(s.sessions[1].offerer, "dave");
  EXPECT_EQ(s.sessions[1].answerer, "alice");
  EXPECT_EQ(s.sessions[1].expect, "secure");
  EXPECT_EQ(s.sessions[1].round, 1u);
  EXPECT_FALSE(s.sessions[1].attacked);
  EXPECT_TRUE(s.sessions[1].out_of_band);
  EXPECT_TRUE(s.sessions[1].messages.empty());
  EXPECT_EQ(s.sessions[2].offerer, "carol");
  EXPECT_EQ(s.sessions[2].round, 1u);
  EXPECT_TRUE(s.sessions[2].attacked);
  EXPECT_FALSE(s.sessions[2].out_of_band);
  EXPECT_EQ(s.sessions[2].where.line, 37);
  EXPECT_EQ(s.sessions[2].where.column, 5);
}

TEST(ScenarioLoad, OptionalKeysTakeTheirDefaults) {
  const auto r = load(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->file, "t.yaml");
  EXPECT_EQ(r->description, "");
  EXPECT_EQ(r->deadline_ms, 5000u);
  EXPECT_EQ(r->seed, 1u);
  EXPECT_EQ(r->attack.name, "none");
  EXPECT_TRUE(r->attack.params.empty());
  EXPECT_TRUE(r->attack.rewrite.empty());
  EXPECT_EQ(r->sessions[0].where.line, 6);
  EXPECT_EQ(r->sessions[0].where.column, 5);
  EXPECT_EQ(r->sessions[0].round, 0u);
  EXPECT_TRUE(r->sessions[0].attacked);
  EXPECT_FALSE(r->sessions[0].out_of_band);
  EXPECT_TRUE(r->peers[0].trust_params.empty());
}

TEST(ScenarioLoad, SessionRoundAttackedOutOfBand) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint}
  - {name: bob, trust: sdp-fingerprint}
sessions:
  - {offerer: alice, answerer: bob, round: 31, attacked: false, out_of_band: true, expect: secure}
  - {offerer: bob, answerer: alice, round: +0, attacked: true, out_of_band: false, expect: secure}
)";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->sessions.size(), 2u);
  EXPECT_EQ(r->sessions[0].round, 31u);
  EXPECT_FALSE(r->sessions[0].attacked);
  EXPECT_TRUE(r->sessions[0].out_of_band);
  EXPECT_EQ(r->sessions[1].round, 0u);
  EXPECT_TRUE(r->sessions[1].attacked);
  EXPECT_FALSE(r->sessions[1].out_of_band);
}

TEST(ScenarioLoad, MediaAudioMakesTheSessionACall) {
  std::string y(kMinimal);
  y.replace(y.find("expect: secure}"), 15, "expect: secure, media: [audio]}");
  auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->sessions[0].audio);
  y.replace(y.find("[audio]"), 7, "[]");
  r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->sessions[0].audio);
  r = load("name: t\nscale: {pairs: 2, media: [audio]}\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  for (const auto& s : r->sessions) EXPECT_TRUE(s.audio);
}

TEST(ScenarioRejectSessions, MediaKindsAreCheckedWhereWritten) {
  auto with_media = [](const std::string& media) {
    std::string y(kMinimal);
    y.replace(y.find("expect: secure}"), 15, "expect: secure, media: " + media + "}");
    return y;
  };
  // Line 6 is the session; the value of media starts at column 60.
  EXPECT_TRUE(rejected(with_media("[video]"), "t.yaml:6:61:", "video is not simulated"));
  EXPECT_TRUE(rejected(with_media("[audoi]"), "t.yaml:6:61:", "unknown media kind 'audoi'; did you mean 'audio'?"));
  EXPECT_TRUE(rejected(with_media("[audio, audio]"), "t.yaml:6:68:", "listed twice"));
  EXPECT_TRUE(rejected(with_media("audio"), "t.yaml:6:60:", "expected a sequence of media kinds"));
  EXPECT_TRUE(rejected("name: t\nscale: {pairs: 2, media: [video]}\n", "t.yaml:2:27:", "video is not simulated"));
}

// The two-round tofu example of docs/scenarios.md: the same pair meets again in a later round.
TEST(ScenarioLoad, SamePeersInTwoRounds) {
  constexpr std::string_view y = R"(name: tofu-two-rounds
peers:
  - {name: alice, trust: tofu}
  - {name: bob, trust: tofu}
relay: {attack: swap-mitm}
sessions:
  - {offerer: alice, answerer: bob, round: 0, attacked: false, expect: secure}
  - {offerer: alice, answerer: bob, round: 1, expect: detected}
)";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->sessions.size(), 2u);
  EXPECT_EQ(r->sessions[0].round, 0u);
  EXPECT_FALSE(r->sessions[0].attacked);
  EXPECT_EQ(r->sessions[1].round, 1u);
  EXPECT_TRUE(r->sessions[1].attacked);
  EXPECT_EQ(r->peers[0].trust, (std::vector<std::string>{"tofu"}));
}

// The sas example of docs/scenarios.md.
TEST(ScenarioLoad, OutOfBandSessionForSas) {
  constexpr std::string_view y = R"(name: sas-call
peers:
  - name: alice
    trust: sdp-fingerprint+sas
    params: {miss-rate: 0.1}
  - {name: bob, trust: sdp-fingerprint+sas}
relay: {attack: swap-mitm}
sessions:
  - {offerer: alice, answerer: bob, out_of_band: true, expect: detected}
)";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->sessions[0].out_of_band);
  EXPECT_EQ(r->peers[0].trust_params, (ParamValues{{"miss-rate", "0.1"}}));
  EXPECT_EQ(r->peers[1].trust_params, (ParamValues{{"miss-rate", "0"}}));
}

TEST(ScenarioLoad, TrustParamsDefaultedAndValidated) {
  const auto with_peer = [](const std::string& alice) {
    return "name: t\npeers:\n  - " + alice +
           "\n  - {name: bob, trust: sdp-fingerprint}\nsessions:\n"
           "  - {offerer: alice, answerer: bob, out_of_band: true, expect: secure}\n";
  };
  const auto r = load(with_peer("{name: alice, trust: sas}"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->peers[0].trust_params, (ParamValues{{"miss-rate", "0"}}));
  for (const char* v : {"0", "1", "0.25", "1e-3", ".5", "+0.5"}) {
    const auto p = load(with_peer(std::string("{name: alice, trust: sas, params: {miss-rate: ") + v + "}}"));
    ASSERT_TRUE(p.ok()) << v << ": " << p.error().message;
    EXPECT_EQ(p->peers[0].trust_params, (ParamValues{{"miss-rate", v}}));
  }
  // The parameters of every configuration in a combination, each at its default unless given.
  const auto both = load(with_peer("{name: alice, trust: identity+sas, params: {idp: other.example}}"));
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->peers[0].trust_params, (ParamValues{{"idp", "other.example"}, {"miss-rate", "0"}}));
  // An empty mapping is the same as no `params`.
  const auto empty = load(with_peer("{name: alice, trust: tofu, params: {}}"));
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->peers[0].trust_params.empty());
}

TEST(ScenarioLoad, MalloryOnlyReservedExactly) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: mallory2, trust: sdp-fingerprint}
  - {name: mal, trust: sdp-fingerprint}
sessions:
  - {offerer: mallory2, answerer: mal, expect: secure}
)";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->peers[0].name, "mallory2");
}

TEST(ScenarioLoad, HonestRelayIsAttackNone) {
  const auto r = load(with_relay("relay: honest\n"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->attack.name, "none");
  EXPECT_EQ(r->attack.where.line, 5);
  EXPECT_EQ(r->attack.where.column, 8);
}

TEST(ScenarioLoad, MissingParamsGetDefaults) {
  std::string relayed = with_relay("relay: {attack: turn-tamper, params: {every: +20, header-only: true}}\n");
  relayed.replace(relayed.find("trust: sdp-fingerprint}"), 23, "trust: sdp-fingerprint, ice_policy: relay}");
  const auto r = load(relayed);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->attack.params,
            (ParamValues{{"every", "20"}, {"fraction", "0.5"}, {"header-only", "true"}, {"label", ""}}));
  const auto d = load(with_relay("relay: {attack: downgrade-mitm}\n"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->attack.params, (ParamValues{{"hash", "sha-1"}}));
}

TEST(ScenarioLoad, LargestSeedAndDeadline) {
  std::string y(kMinimal);
  y += "seed: 18446744073709551615\ndeadline_ms: 600000\n";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->seed, 18446744073709551615u);
  EXPECT_EQ(r->deadline_ms, 600000u);
}

TEST(ScenarioLoad, Utf8ByteOrderMarkAndText) {
  std::string y = "\xEF\xBB\xBF";
  y += kMinimal;
  y += "description: \"caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x94\x92\"\n";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->description, "caf\xC3\xA9 \xE2\x86\x92 \xF0\x9F\x94\x92");
}

TEST(ScenarioLoad, UnreadableFile) {
  const auto r = load_file("/nonexistent/x.yaml", test_vocabulary());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "/nonexistent/x.yaml:1:1: cannot read /nonexistent/x.yaml: No such file or directory");
}

TEST(ScenarioRejectSyntax, BrokenYaml) {
  EXPECT_TRUE(rejected("name: t\npeers: [alice\n", "t.yaml:3:1: ", "invalid YAML: end of sequence flow not found"));
}

TEST(ScenarioRejectSyntax, ColumnsCountCharactersNotBytes) {
  // "é" is two bytes; the bad name after it is at character column 28 (byte column 29).
  EXPECT_TRUE(rejected("name: t\npeers: [{trust: \"\xC3\xA9\", name: Bob}, {name: b, trust: sas}]\n",
                       "t.yaml:2:28: ", "peer name must be"));
  EXPECT_TRUE(rejected("name: t\n\"\xC3\xA9\xC3\xA9\": 1\n",
                       "t.yaml:2:1: ", "unknown key '\xC3\xA9\xC3\xA9' at the top level"));
}

TEST(ScenarioRejectSyntax, EmptyFile) {
  EXPECT_TRUE(rejected("", "t.yaml:1:1: ", "file is empty"));
  EXPECT_TRUE(rejected(" \n\t\r\n", "t.yaml:1:1: ", "file is empty"));
  EXPECT_TRUE(rejected("# nothing here\n", "t.yaml:1:1: ", "only comments"));
  EXPECT_TRUE(rejected("---\n...\n", "t.yaml:2:1: ", "the YAML document is empty"));
}

TEST(ScenarioRejectSyntax, InvalidUtf8) {
  EXPECT_TRUE(rejected("name: t\ndescription: \"ab\xFF\"\n", "t.yaml:2:17: ", "invalid UTF-8 (byte 0xff)"));
  // Overlong encoding of '/' and a UTF-16 surrogate written as UTF-8.
  EXPECT_TRUE(rejected("name: \xC0\xAF\n", "t.yaml:1:7: ", "invalid UTF-8"));
  EXPECT_TRUE(rejected("name: \xED\xA0\x80\n", "t.yaml:1:7: ", "invalid UTF-8"));
  // Truncated sequence at the end of the file.
  EXPECT_TRUE(rejected("name: \xE2\x86", "t.yaml:1:7: ", "invalid UTF-8 (byte 0xe2)"));
}

TEST(ScenarioRejectSyntax, BinaryData) {
  const std::string nul("name: t\n\0\x01\x02", 11);
  EXPECT_TRUE(rejected(nul, "t.yaml:2:1: ", "NUL byte"));
  EXPECT_TRUE(rejected("name: t\x07\n", "t.yaml:1:8: ", "control character U+0007"));
  // UTF-16 with a byte order mark is not UTF-8.
  EXPECT_TRUE(rejected(std::string("\xFF\xFEn\0a\0", 6), "t.yaml:1:1: ", "invalid UTF-8 (byte 0xff)"));
}

TEST(ScenarioRejectSyntax, FileOverOneMebibyte) {
  std::string y(kMinimal);
  y += "description: \"" + std::string(1 << 20, 'x') + "\"\n";
  EXPECT_TRUE(rejected(y, "t.yaml:1:1: ", "larger than 1 MiB"));
}

TEST(ScenarioRejectSyntax, AliasBomb) {
  constexpr std::string_view bomb = R"(name: t
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
)";
  EXPECT_TRUE(rejected(bomb, "t.yaml:2:4: ", "YAML anchor '&a' is not supported"));
}

TEST(ScenarioRejectSyntax, MergeKeyAlias) {
  // An alias of an undefined anchor is a syntax error before it is an alias.
  EXPECT_TRUE(rejected("name: t\n<<: *base\n", "t.yaml:2:5: ", "invalid YAML"));
}

TEST(ScenarioRejectSyntax, DeepNesting) {
  std::string y = "name: t\ndescription: ";
  y += std::string(17, '[') + std::string(17, ']') + "\n";
  // The top-level mapping is level 1, so the 16th '[' opens level 17.
  EXPECT_TRUE(rejected(y, "t.yaml:2:29: ", "nesting deeper than 16 levels"));
  // Far past yaml-cpp's own recursion guard (2000): stops at the same level, before any node is built.
  const std::string deep = "x: " + std::string(100000, '[') + std::string(100000, ']');
  EXPECT_TRUE(rejected(deep, "t.yaml:1:19: ", "nesting deeper than 16 levels"));
}

TEST(ScenarioRejectSyntax, SecondDocument) {
  std::string y(kMinimal);
  y += "---\nname: u\n";
  EXPECT_TRUE(rejected(y, "t.yaml:7:1: ", "a second YAML document"));
}

TEST(ScenarioRejectSyntax, ExplicitTag) {
  EXPECT_TRUE(rejected("name: !!str t\n", "t.yaml:1:7: ", "YAML tag 'tag:yaml.org,2002:str' is not supported"));
}

TEST(ScenarioRejectSyntax, DuplicateKey) {
  std::string y(kMinimal);
  y += "name: u\n";
  EXPECT_TRUE(rejected(y, "t.yaml:7:1: ", "duplicate key 'name' at the top level (first at line 1, column 1)"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: downgrade-mitm, params: {hash: md5, hash: sha-1}}\n"),
                       "t.yaml:5:53: ", "duplicate parameter 'hash' of attack 'downgrade-mitm'"));
}

TEST(ScenarioRejectKeys, UnknownKeySuggests) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trsut: sdp-fingerprint}
  - {name: bob, trust: sdp-fingerprint}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:3:19: ", "unknown key 'trsut' in a peer; did you mean 'trust'?"));
}

TEST(ScenarioRejectKeys, UnknownKeyWithoutSuggestionListsKeys) {
  EXPECT_TRUE(rejected("name: t\ncolour: red\n", "t.yaml:2:1: ",
                       "unknown key 'colour' at the top level; expected one of: name, description, deadline_ms, seed, "
                       "peers, relay, stun, turn, sessions"));
}

TEST(ScenarioRejectKeys, MissingRequiredKey) {
  EXPECT_TRUE(rejected("peers: []\n", "t.yaml:1:1: ", "the scenario is missing the required key 'name'"));
  constexpr std::string_view y = R"(name: t
peers:
  - name: alice
  - {name: bob, trust: sas}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:3:5: ", "a peer is missing the required key 'trust'"));
}

TEST(ScenarioRejectTypes, WrongType) {
  EXPECT_TRUE(rejected("name: t\npeers: alice\n", "t.yaml:2:8: ", "expected a sequence of peers, got a scalar"));
  EXPECT_TRUE(rejected("- name: t\n", "t.yaml:1:1: ", "expected a mapping of scenario keys"));
  EXPECT_TRUE(rejected("name: [t]\n", "t.yaml:1:7: ", "expected a scenario name for 'name', got a sequence"));
  // An empty value is reported at its key.
  EXPECT_TRUE(rejected("name: t\npeers:\nsessions: []\n", "t.yaml:2:1: ", "expected a sequence of peers, got nothing"));
  EXPECT_TRUE(rejected("name: t\npeers: [alice, bob]\n",
                       "t.yaml:2:9: ", "expected a peer (a mapping with name and trust), got a scalar"));
  EXPECT_TRUE(rejected("name: t\n[a]: 1\n", "t.yaml:2:1: ", "expected a key name at the top level, got a sequence"));
}

TEST(ScenarioRejectValues, BadScenarioName) {
  EXPECT_TRUE(rejected("name: two words\n", "t.yaml:1:7: ", "scenario name must be 1 to 64 characters"));
  EXPECT_TRUE(rejected("name: " + std::string(65, 'a') + "\n", "t.yaml:1:7: ", "scenario name must be"));
}

TEST(ScenarioRejectValues, NegativeOrHugeDeadline) {
  std::string y(kMinimal);
  EXPECT_TRUE(
      rejected(y + "deadline_ms: -5\n", "t.yaml:7:14: ", "deadline_ms must be an integer from 1 to 600000, got '-5'"));
  EXPECT_TRUE(rejected(y + "deadline_ms: 0\n", "t.yaml:7:14: ", "got '0'"));
  EXPECT_TRUE(rejected(y + "deadline_ms: 600001\n", "t.yaml:7:14: ", "got '600001'"));
  EXPECT_TRUE(rejected(y + "deadline_ms: 99999999999999999999999\n", "t.yaml:7:14: ", "got '99999999999999999999999'"));
  EXPECT_TRUE(rejected(y + "deadline_ms: \"5000\"\n", "t.yaml:7:14: ", "got the quoted string '5000'"));
  EXPECT_TRUE(rejected(y + "deadline_ms: 5e3\n", "t.yaml:7:14: ", "got '5e3'"));
}

TEST(ScenarioRejectValues, NegativeOrHugeSeed) {
  std::string y(kMinimal);
  EXPECT_TRUE(
      rejected(y + "seed: -1\n", "t.yaml:7:7: ", "seed must be an integer from 0 to 18446744073709551615, got '-1'"));
  EXPECT_TRUE(rejected(y + "seed: 18446744073709551616\n", "t.yaml:7:7: ", "got '18446744073709551616'"));
  EXPECT_TRUE(rejected(y + "seed: +-1\n", "t.yaml:7:7: ", "got '+-1'"));
}

TEST(ScenarioRejectPeers, UnknownTrustSuggests) {
  constexpr std::string_view y = R"(name: t
peers:
  - name: alice
    trust: sdp-fingerprnt
  - name: bob
    trust: sdp-fingerprint
)";
  EXPECT_TRUE(
      rejected(y, "t.yaml:4:12: ", "unknown trust configuration 'sdp-fingerprnt'; did you mean 'sdp-fingerprint'?"));
}

TEST(ScenarioRejectPeers, BadTrustCombination) {
  const auto with_trust = [](const std::string& trust) {
    return "name: t\npeers:\n  - {name: alice, trust: " + trust + "}\n  - {name: bob, trust: sas}\n";
  };
  EXPECT_TRUE(
      rejected(with_trust("sas+sdp-fingerprint+sas"), "t.yaml:3:26: ", "trust configuration 'sas' is listed twice"));
  EXPECT_TRUE(rejected(with_trust("sas+"), "t.yaml:3:26: ", "empty trust configuration name in 'sas+'"));
  EXPECT_TRUE(rejected(with_trust("pgp"), "t.yaml:3:26: ",
                       "unknown trust configuration 'pgp'; expected one of: no-verification, sdp-fingerprint, sas, "
                       "oob-fingerprint, identity, tofu"));
}

TEST(ScenarioRejectPeers, DuplicatePeer) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sas}
  - {name: alice, trust: sas}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:4:12: ", "duplicate peer 'alice' (first declared at line 3, column 5)"));
}

TEST(ScenarioRejectPeers, BadPeerName) {
  EXPECT_TRUE(rejected("name: t\npeers:\n  - {name: Alice, trust: sas}\n  - {name: bob, trust: sas}\n",
                       "t.yaml:3:12: ", "peer name must be a lower-case letter"));
}

TEST(ScenarioRejectPeers, PeerCount) {
  EXPECT_TRUE(rejected("name: t\npeers:\n  - {name: alice, trust: sas}\n",
                       "t.yaml:3:3: ", "a scenario needs 2 to 64 peers, got 1"));
}

TEST(ScenarioRejectRelay, UnknownAttack) {
  EXPECT_TRUE(rejected(with_relay("relay:\n  attack: swap-mitn\n"),
                       "t.yaml:6:11: ", "unknown attack 'swap-mitn'; did you mean 'swap-mitm'?"));
}

TEST(ScenarioRejectRelay, AttackNameAsScalar) {
  EXPECT_TRUE(rejected(with_relay("relay: swap-mitm\n"), "t.yaml:5:8: ", "write 'relay: {attack: swap-mitm}'"));
  EXPECT_TRUE(rejected(with_relay("relay: evil\n"),
                       "t.yaml:5:8: ", "relay: expected 'honest' or a mapping with 'attack', got 'evil'"));
}

TEST(ScenarioRejectRelay, BadParamValue) {
  EXPECT_TRUE(
      rejected(with_relay("relay:\n  attack: downgrade-mitm\n  params: {hash: sha-256}\n"), "t.yaml:7:18: ",
               "invalid value 'sha-256' for parameter 'hash' of attack 'downgrade-mitm'; expected one of: sha-1, md5"));
}

TEST(ScenarioRejectRelay, BadTypedParamValues) {
  EXPECT_TRUE(rejected(with_relay("relay: {attack: turn-tamper, params: {every: 0}}\n"), "t.yaml:5:46: ",
                       "parameter 'every' of attack 'turn-tamper' must be an integer from 1 to 1000, got '0'"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: turn-tamper, params: {fraction: 1.5}}\n"),
                       "t.yaml:5:49: ", "must be a number from 0 to 1, got '1.5'"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: turn-tamper, params: {fraction: nan}}\n"),
                       "t.yaml:5:49: ", "must be a number from 0 to 1, got 'nan'"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: turn-tamper, params: {header-only: yes}}\n"),
                       "t.yaml:5:52: ", "must be true or false, got 'yes'"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: turn-tamper, params: {label: [x]}}\n"),
                       "t.yaml:5:46: ", "expected a string for 'label', got a sequence"));
}

TEST(ScenarioRejectRelay, UnknownParam) {
  EXPECT_TRUE(rejected(with_relay("relay:\n  attack: downgrade-mitm\n  params: {hsh: md5}\n"),
                       "t.yaml:7:12: ", "unknown parameter 'hsh' of attack 'downgrade-mitm'; did you mean 'hash'?"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: swap-mitm, params: {hash: md5}}\n"),
                       "t.yaml:5:37: ", "attack 'swap-mitm' takes no parameters"));
}

TEST(ScenarioRejectRelay, BadRewrite) {
  EXPECT_TRUE(rejected(with_relay("relay: {attack: swap-mitm, rewrite: [{from: \"\", to: x}]}\n"),
                       "t.yaml:5:45: ", "'from' of a rewrite rule must not be empty"));
  EXPECT_TRUE(rejected(with_relay("relay: {attack: none, rewrite: [{from: a, to: b}]}\n"),
                       "t.yaml:5:23: ", "'rewrite' needs an attack"));
}

// An attack that cannot act in the scenario would report `secure` and read as
// assurance: refused where it is named.
TEST(ScenarioRejectRelay, TurnAttackWithoutRelayedSession) {
  EXPECT_TRUE(rejected(with_relay("relay: {attack: turn-mitm}\n"), "t.yaml:5:17: ",
                       "attack 'turn-mitm' sits at the TURN position, but no attacked session goes through TURN"));
  // Relayed, but only in a session the attacker leaves alone.
  constexpr std::string_view unattacked = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint, ice_policy: relay}
  - {name: bob, trust: sdp-fingerprint}
  - {name: carol, trust: sdp-fingerprint}
turn: coturn
relay: {attack: turn-mitm}
sessions:
  - {offerer: alice, answerer: bob, expect: secure, attacked: false}
  - {offerer: carol, answerer: bob, expect: secure, round: 1}
)";
  EXPECT_TRUE(rejected(unattacked, "t.yaml:7:17: ", "no attacked session goes through TURN"));
  // One relayed peer in an attacked session is enough.
  std::string relayed = with_relay("relay: {attack: turn-mitm}\n");
  relayed.replace(relayed.find("trust: sdp-fingerprint}"), 23, "trust: sdp-fingerprint, ice_policy: relay}");
  const auto ok = load(relayed);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST(ScenarioRejectRelay, StunAttackWithoutPeerBehindNat) {
  EXPECT_TRUE(
      rejected(with_relay("relay:\n  attack: stun-lie\n"), "t.yaml:6:11: ",
               "attack 'stun-lie' sits at the STUN position, but no attacked session depends on what STUN says"));
  std::string natted = with_relay("relay: {attack: stun-lie}\n");
  natted.replace(natted.find("trust: sdp-fingerprint}"), 23, "trust: sdp-fingerprint, behind_nat: true}");
  const auto ok = load(natted);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST(ScenarioRejectRelay, SignalingAttackWithEverySessionUnattacked) {
  std::string y = with_relay("relay: {attack: swap-mitm}\n");
  y.replace(y.find("expect: secure}"), 15, "expect: secure, attacked: false}");
  EXPECT_TRUE(rejected(y, "t.yaml:5:17: ", "attack 'swap-mitm' cannot act: every session is 'attacked: false'"));
}

TEST(ScenarioRejectRelay, RewriteWithAnAttackThatDoesNotBridge) {
  EXPECT_TRUE(rejected(with_relay("relay: {attack: fingerprint-only, rewrite: [{from: a, to: b}]}\n"), "t.yaml:5:35: ",
                       "'rewrite' needs an attack that bridges the peers' data (swap-mitm, downgrade-mitm); attack "
                       "'fingerprint-only' does not carry it"));
  EXPECT_TRUE(load(with_relay("relay: {attack: swap-mitm, rewrite: [{from: a, to: b}]}\n")).ok());
}

TEST(ScenarioRejectSessions, SelfSession) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sas}
  - {name: bob, trust: sas}
sessions:
  - {offerer: alice, answerer: alice, expect: secure}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:6:32: ", "peer 'alice' is both offerer and answerer"));
}

TEST(ScenarioRejectSessions, UnknownPeerInSession) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sas}
  - {name: bob, trust: sas}
sessions:
  - {offerer: alice, answerer: bobb, expect: secure}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:6:32: ", "unknown peer 'bobb' as answerer; did you mean 'bob'?"));
}

TEST(ScenarioRejectSessions, PeerInTwoSessions) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint}
  - {name: bob, trust: sdp-fingerprint}
  - {name: carol, trust: sdp-fingerprint}
sessions:
  - {offerer: alice, answerer: bob, expect: secure}
  - {offerer: carol, answerer: alice, expect: secure}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:8:32: ",
                       "peer 'alice' is already in the session at line 7, column 5 of round 0; a peer takes part in "
                       "one session per round"));
}

TEST(ScenarioRejectSessions, MessageFromNonMember) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint}
  - {name: bob, trust: sdp-fingerprint}
  - {name: carol, trust: sdp-fingerprint}
sessions:
  - offerer: alice
    answerer: bob
    expect: secure
    messages:
      - {from: alice, text: hi}
      - {from: carol, text: hi}
)";
  EXPECT_TRUE(rejected(
      y, "t.yaml:12:16: ", "message from 'carol', who is not in this session (offerer 'alice', answerer 'bob')"));
}

TEST(ScenarioRejectSessions, MessageTextLength) {
  std::string y(kMinimal);
  y.replace(y.find("expect: secure}"), 15, "expect: secure, messages: [{from: bob, text: \"\"}]}");
  EXPECT_TRUE(rejected(y, "t.yaml:6:82: ", "message text must be 1 to 4096 bytes, got 0"));
  std::string big(kMinimal);
  big.replace(big.find("expect: secure}"), 15,
              "expect: secure, messages: [{from: bob, text: " + std::string(4097, 'x') + "}]}");
  EXPECT_TRUE(rejected(big, "t.yaml:6:82: ", "got 4097"));
}

TEST(ScenarioRejectSessions, UnknownOrErrorOutcome) {
  std::string y(kMinimal);
  y.replace(y.find("secure"), 6, "secrue");
  EXPECT_TRUE(rejected(y, "t.yaml:6:45: ", "unknown outcome 'secrue'; did you mean 'secure'?"));
  std::string e(kMinimal);
  e.replace(e.find("secure"), 6, "error");
  EXPECT_TRUE(rejected(e, "t.yaml:6:45: ", "'error' means the simulator failed and cannot be expected"));
}

TEST(ScenarioRejectSessions, SessionCount) {
  std::string y(kMinimal);
  y.replace(y.find("sessions:"), std::string::npos, "sessions: []\n");
  EXPECT_TRUE(rejected(y, "t.yaml:5:11: ", "a scenario needs 1 to 32 sessions, got 0"));
}

TEST(ScenarioRejectSessions, NewKeysWrongType) {
  const auto session = [](const std::string& extra) {
    return "name: t\npeers:\n  - {name: alice, trust: sdp-fingerprint}\n  - {name: bob, trust: sdp-fingerprint}\n"
           "sessions:\n  - {offerer: alice, answerer: bob, " +
           extra + "expect: secure}\n";
  };
  // The value starts at column 44 in each case: "  - {offerer: alice, answerer: bob, " is 36 characters.
  EXPECT_TRUE(rejected(session("round: \"1\", "),
                       "t.yaml:6:44: ", "round must be an integer from 0 to 31, got the quoted string '1'"));
  EXPECT_TRUE(rejected(session("round: 1.5, "), "t.yaml:6:44: ", "round must be an integer from 0 to 31, got '1.5'"));
  EXPECT_TRUE(rejected(session("round: [1], "), "t.yaml:6:44: ", "got a sequence"));
  EXPECT_TRUE(rejected(session("attacked: yes, "), "t.yaml:6:47: ", "attacked must be true or false, got 'yes'"));
  EXPECT_TRUE(rejected(session("attacked: \"false\", "),
                       "t.yaml:6:47: ", "attacked must be true or false, got the quoted string 'false'"));
  EXPECT_TRUE(rejected(session("attacked: 0, "), "t.yaml:6:47: ", "attacked must be true or false, got '0'"));
  EXPECT_TRUE(rejected(session("out_of_band: 1, "), "t.yaml:6:50: ", "out_of_band must be true or false, got '1'"));
  EXPECT_TRUE(
      rejected(session("out_of_band: {}, "), "t.yaml:6:50: ", "out_of_band must be true or false, got a mapping"));
  // An empty value is reported at its key.
  EXPECT_TRUE(rejected(session("out_of_band: , "), "t.yaml:6:37: ", "out_of_band must be true or false, got nothing"));
  // A spelling with dashes is suggested the underscore key.
  EXPECT_TRUE(rejected(session("out-of-band: true, "),
                       "t.yaml:6:37: ", "unknown key 'out-of-band' in a session; did you mean 'out_of_band'?"));
}

TEST(ScenarioRejectSessions, RoundOutOfRange) {
  const auto session = [](const std::string& round) {
    return "name: t\npeers:\n  - {name: alice, trust: sdp-fingerprint}\n  - {name: bob, trust: sdp-fingerprint}\n"
           "sessions:\n  - {offerer: alice, answerer: bob, round: " +
           round + ", expect: secure}\n";
  };
  EXPECT_TRUE(rejected(session("32"), "t.yaml:6:44: ", "round must be an integer from 0 to 31, got '32'"));
  EXPECT_TRUE(rejected(session("-1"), "t.yaml:6:44: ", "got '-1'"));
  EXPECT_TRUE(rejected(session("4294967296"), "t.yaml:6:44: ", "got '4294967296'"));
  EXPECT_TRUE(load(session("31")).ok());
}

TEST(ScenarioRejectSessions, PeerTwiceInOneRound) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint}
  - {name: bob, trust: sdp-fingerprint}
  - {name: carol, trust: sdp-fingerprint}
sessions:
  - {offerer: alice, answerer: bob, round: 2, expect: secure}
  - {offerer: carol, answerer: alice, round: 1, expect: secure}
  - {offerer: bob, answerer: carol, round: 2, expect: secure}
)";
  // carol is free in round 2; bob is not.
  EXPECT_TRUE(rejected(y, "t.yaml:9:15: ",
                       "peer 'bob' is already in the session at line 7, column 5 of round 2; a peer takes part in one "
                       "session per round"));
  // The same sessions spread over three rounds load, and so does the same pair meeting twice.
  std::string ok(y);
  ok.replace(ok.rfind("round: 2"), 8, "round: 0");
  const auto r = load(ok);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sessions[2].round, 0u);
  std::string again(kMinimal);
  again += "  - {offerer: bob, answerer: alice, round: 1, expect: secure}\n";
  EXPECT_TRUE(load(again).ok());
  // Without `round` both sessions are in round 0.
  std::string twice(kMinimal);
  twice += "  - {offerer: bob, answerer: alice, expect: secure}\n";
  EXPECT_TRUE(rejected(twice, "t.yaml:7:15: ", "peer 'bob' is already in the session at line 6, column 5 of round 0"));
}

TEST(ScenarioRejectSessions, NeedsOutOfBand) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint+sas}
  - {name: bob, trust: sdp-fingerprint}
  - {name: carol, trust: oob-fingerprint}
sessions:
  - offerer: alice
    answerer: bob
    expect: secure
)";
  EXPECT_TRUE(rejected(y, "t.yaml:7:14: ",
                       "peer 'alice' uses trust 'sas', which needs a channel the attacker does not control: add "
                       "'out_of_band: true' to this session"));
  // Reported at whichever end needs it, also when the session is not attacked or says false.
  std::string answerer(y);
  answerer.replace(answerer.find("offerer: alice"), 14, "offerer: bob");
  answerer.replace(answerer.find("answerer: bob"), 13, "answerer: carol");
  EXPECT_TRUE(rejected(answerer, "t.yaml:8:15: ", "peer 'carol' uses trust 'oob-fingerprint', which needs a channel"));
  EXPECT_TRUE(rejected(answerer + "    attacked: false\n", "t.yaml:8:15: ", "add 'out_of_band: true'"));
  EXPECT_TRUE(rejected(answerer + "    out_of_band: false\n", "t.yaml:8:15: ", "add 'out_of_band: true'"));
  const auto r = load(std::string(y) + "    out_of_band: true\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->sessions[0].out_of_band);
  // Through load_file the message names the file.
  const std::string path = std::string(SIGTRUST_TEST_DATA) + "/bad-scenarios/needs-out-of-band.yaml";
  const auto f = load_file(path, test_vocabulary());
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message, path +
                                   ":7:14: peer 'alice' uses trust 'sas', which needs a channel the attacker does not "
                                   "control: add 'out_of_band: true' to this session");
}

TEST(ScenarioRejectPeers, TrustParams) {
  const auto with_alice = [](const std::string& alice) {
    return "name: t\npeers:\n  - " + alice + "\n  - {name: bob, trust: sdp-fingerprint}\n";
  };
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, params: {miss-rat: 0.1}}"),
                       "t.yaml:3:40: ", "unknown parameter 'miss-rat' of trust 'sas'; did you mean 'miss-rate'?"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sdp-fingerprint+sas, params: {colour: red}}"), "t.yaml:3:56: ",
                       "unknown parameter 'colour' of trust 'sdp-fingerprint+sas'; expected one of: miss-rate"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, params: {miss-rate: 1.5}}"), "t.yaml:3:51: ",
                       "parameter 'miss-rate' of trust 'sas' must be a number from 0 to 1, got '1.5'"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, params: {miss-rate: -0.1}}"),
                       "t.yaml:3:51: ", "must be a number from 0 to 1, got '-0.1'"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, params: {miss-rate: \"0.5\"}}"),
                       "t.yaml:3:51: ", "must be a number from 0 to 1, got the quoted string '0.5'"));
  EXPECT_TRUE(
      rejected(with_alice("{name: alice, trust: sas, params: {miss-rate: inf}}"), "t.yaml:3:51: ", "got 'inf'"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: identity+sas, params: {idp: evil.example}}"), "t.yaml:3:54: ",
                       "invalid value 'evil.example' for parameter 'idp' of trust 'identity+sas'; did you "
                       "mean 'idp.example'?"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, params: {miss-rate: 0, miss-rate: 1}}"),
                       "t.yaml:3:54: ", "duplicate parameter 'miss-rate' of trust 'sas' (first at line 3, column 40)"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: tofu, params: {miss-rate: 0}}"),
                       "t.yaml:3:41: ", "trust 'tofu' takes no parameters"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, params: [miss-rate]}"),
                       "t.yaml:3:39: ", "expected a mapping of the parameters of trust 'sas', got a sequence"));
  EXPECT_TRUE(rejected(with_alice("{name: alice, trust: sas, param: {miss-rate: 0}}"),
                       "t.yaml:3:31: ", "unknown key 'param' in a peer; did you mean 'params'?"));
}

TEST(ScenarioRejectPeers, ReservedName) {
  constexpr std::string_view y = R"(name: t
peers:
  - {name: alice, trust: sdp-fingerprint}
  - {name: mallory, trust: sdp-fingerprint}
sessions:
  - {offerer: alice, answerer: mallory, expect: secure}
)";
  EXPECT_TRUE(rejected(y, "t.yaml:4:12: ", "peer name 'mallory' is reserved for the attacker"));
}

TEST(ScenarioScale, GeneratesPairsOfPeersAndSessions) {
  const auto r = load("name: many\nscale: {pairs: 3}\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->peers.size(), 6u);
  ASSERT_EQ(r->sessions.size(), 3u);
  EXPECT_EQ(r->peers[0].name, "offerer1");
  EXPECT_EQ(r->peers[1].name, "answerer1");
  EXPECT_EQ(r->peers[5].name, "answerer3");
  for (const auto& p : r->peers) {
    EXPECT_EQ(p.trust, (std::vector<std::string>{"sdp-fingerprint"}));
    EXPECT_EQ(p.where.line, 2);
    EXPECT_EQ(p.where.column, 8);
  }
  EXPECT_EQ(r->attack.name, "none");
  for (std::size_t i = 0; i < 3; ++i) {
    const SessionSpec& s = r->sessions[i];
    EXPECT_EQ(s.offerer, "offerer" + std::to_string(i + 1));
    EXPECT_EQ(s.answerer, "answerer" + std::to_string(i + 1));
    EXPECT_EQ(s.expect, "secure");
    EXPECT_EQ(s.round, 0u);
    EXPECT_TRUE(s.attacked);
    EXPECT_FALSE(s.out_of_band);
    ASSERT_EQ(s.messages.size(), 2u);
    EXPECT_EQ(s.messages[0].from, s.offerer);
    EXPECT_EQ(s.messages[0].text, "message 1 from " + s.offerer);
    EXPECT_EQ(s.messages[1].from, s.answerer);
  }
}

TEST(ScenarioScale, TakesTrustExpectMessagesAndTheOtherTopLevelKeys) {
  constexpr std::string_view y = R"(name: many
deadline_ms: 20000
relay: {attack: swap-mitm}
scale:
  pairs: 1000
  trust: sdp-fingerprint+sas
  expect: detected
  messages: 0
)";
  const auto r = load(y);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->deadline_ms, 20000u);
  EXPECT_EQ(r->attack.name, "swap-mitm");
  ASSERT_EQ(r->peers.size(), 2000u);
  ASSERT_EQ(r->sessions.size(), 1000u);
  EXPECT_EQ(r->peers[1999].name, "answerer1000");
  EXPECT_EQ(r->peers[0].trust, (std::vector<std::string>{"sdp-fingerprint", "sas"}));
  EXPECT_EQ(r->peers[0].trust_params, (ParamValues{{"miss-rate", "0"}}));
  EXPECT_EQ(r->sessions[999].expect, "detected");
  // sas compares over the users' own channel: generated sessions get one.
  EXPECT_TRUE(r->sessions[999].out_of_band);
  EXPECT_TRUE(r->sessions[999].messages.empty());
}

TEST(ScenarioScale, RejectsBadValuesWithTheirPosition) {
  EXPECT_TRUE(
      rejected("name: t\nscale: {pairs: 0}\n", "t.yaml:2:16: ", "pairs must be an integer from 1 to 1000, got '0'"));
  EXPECT_TRUE(rejected("name: t\nscale: {pairs: 1001}\n", "t.yaml:2:16: ", "from 1 to 1000"));
  EXPECT_TRUE(
      rejected("name: t\nscale: {pair: 5}\n", "t.yaml:2:9: ", "unknown key 'pair' in scale; did you mean 'pairs'?"));
  EXPECT_TRUE(rejected("name: t\nscale: {trust: sas}\n", "t.yaml:2:8: ", "scale is missing the required key 'pairs'"));
  EXPECT_TRUE(rejected("name: t\nscale: 50\n", "t.yaml:2:8: ", "expected a mapping with pairs"));
  EXPECT_TRUE(rejected("name: t\nscale: {pairs: 5, trust: sdp-fingerprnt}\n", "t.yaml:2:26: ",
                       "unknown trust configuration 'sdp-fingerprnt'; did you mean 'sdp-fingerprint'?"));
  EXPECT_TRUE(rejected("name: t\nscale: {pairs: 5, expect: secur}\n", "t.yaml:2:27: ", "unknown outcome 'secur'"));
  EXPECT_TRUE(rejected("name: t\nscale: {pairs: 5, messages: 17}\n",
                       "t.yaml:2:29: ", "messages must be an integer from 0 to 16, got '17'"));
  std::string both(kMinimal);
  both += "scale: {pairs: 5}\n";
  EXPECT_TRUE(rejected(both, "t.yaml:2:1: ", "'peers' cannot be used with 'scale'"));
  EXPECT_TRUE(
      rejected("name: t\nsessions: []\nscale: {pairs: 5}\n", "t.yaml:2:1: ", "'sessions' cannot be used with 'scale'"));
  // Without scale, peers and sessions stay required.
  EXPECT_TRUE(rejected("name: t\n", "t.yaml:1:1: ", "the scenario is missing the required key 'peers'"));
}

TEST(ScenarioNearestName, SuggestsCloseNamesOnly) {
  const std::vector<std::string> known = {"sdp-fingerprint", "sdp-fingerprint-any", "sas", "tofu"};
  EXPECT_EQ(nearest_name("sdp-fingerprnt", known), "sdp-fingerprint");
  EXPECT_EQ(nearest_name("sdp-fingerprint-an", known), "sdp-fingerprint-any");
  EXPECT_EQ(nearest_name("tfou", known), "tofu");  // a transposition is one edit
  EXPECT_EQ(nearest_name("SAS", known), "sas");
  EXPECT_EQ(nearest_name("ab", known), "");
  EXPECT_EQ(nearest_name("identity", known), "");
  EXPECT_EQ(nearest_name("x", {}), "");
}

}  // namespace
}  // namespace sigtrust::scenario
