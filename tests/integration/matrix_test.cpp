// The attack × trust matrix: every cell against its checked-in expectation,
// and the properties the issue pins down, asserted by name.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "run_helpers.hpp"
#include "sim/matrix.hpp"

namespace sigtrust {
namespace {

const MatrixExpectations& expectations() {
  static const MatrixExpectations e = [] {
    auto loaded =
        load_matrix_expectations(SIGTRUST_SOURCE_DIR "/scenarios/matrix/expected.yaml", attacks::vocabulary());
    if (!loaded) ADD_FAILURE() << loaded.error().message;
    return loaded ? *loaded : MatrixExpectations{};
  }();
  return e;
}

RunResult run_cell(const std::string& attack, const std::string& trust, std::uint64_t seed = 1,
                   const std::string& miss_rate = "") {
  auto s = matrix_cell(attack, trust, expectations().at(attack).at(trust), attacks::vocabulary());
  s.seed = seed;
  if (!miss_rate.empty())
    for (auto& p : s.peers) p.trust_params["miss-rate"] = miss_rate;
  return testing::run(s);
}

TEST(Matrix, ExpectationsCoverEveryAttackAndTrustConfiguration) {
  const auto vocab = attacks::vocabulary();
  ASSERT_GE(vocab.attacks.size(), 9u);
  ASSERT_GE(vocab.trust.size(), 13u);
  for (const auto& a : vocab.attacks)
    for (const auto& t : vocab.trust) {
      if (a.declarative) continue;  // sdp-rules: its rules come from a scenario file
      ASSERT_TRUE(expectations().count(a.name)) << a.name;
      EXPECT_TRUE(expectations().at(a.name).count(t.name)) << a.name << " × " << t.name;
    }
}

TEST(Matrix, EveryCellMeetsItsCheckedInExpectation) {
  const auto vocab = attacks::vocabulary();
  std::vector<scenario::Scenario> cells;
  for (const auto& [attack, row] : expectations())
    for (const auto& [trust, expected] : row) cells.push_back(matrix_cell(attack, trust, expected, vocab));
  CertificateStore store;
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.certificates = &store;
  const auto results = run_all(cells, 2, o);
  ASSERT_EQ(results.size(), cells.size());
  for (const auto& r : results) {
    EXPECT_TRUE(r.error.empty()) << r.scenario << ": " << r.error;
    ASSERT_FALSE(r.sessions.empty()) << r.scenario;
    for (const auto& s : r.sessions)
      EXPECT_TRUE(s.pass) << r.scenario << ": got " << to_string(s.outcome) << ", expected " << s.expected;
  }
}

TEST(Matrix, SwapMitmFoolsEverySdpBasedCheckAndNoOutOfSdpOne) {
  for (const char* t : {"no-verification", "sdp-fingerprint", "self-compare-bug", "client-skip-bug", "log-only-bug",
                        "missing-accepted-bug"})
    EXPECT_EQ(run_cell("swap-mitm", t).sessions.back().outcome, Outcome::MitmUndetected) << t;
  const std::map<std::string, std::string> alarms = {{"oob-fingerprint", "oob-fingerprint-mismatch"},
                                                     {"sas", "sas-mismatch"},
                                                     {"identity", "identity-mismatch"},
                                                     {"pinned-key", "pinned-key-mismatch"},
                                                     {"tofu", "tofu-key-changed"}};
  for (const auto& [trust, alarm] : alarms) {
    const auto r = run_cell("swap-mitm", trust);
    const auto& s = r.sessions.back();
    EXPECT_EQ(s.outcome, Outcome::Detected) << trust;
    // The configuration's own alarm and no other, at both ends: the bridge
    // drops the bye of the first end to refuse, so each end runs its own check.
    const std::vector<std::string> just_it{alarm};
    EXPECT_EQ(s.offerer_result.report.alarms, just_it) << trust;
    EXPECT_EQ(s.answerer_result.report.alarms, just_it) << trust;
    EXPECT_TRUE(s.attacker.plaintext_read.empty()) << trust << ": the attacker read data before the check";
  }
}

TEST(Matrix, IdentityStripIsDetectedOnlyWhenTheAssertionIsRequired) {
  const auto required = run_cell("identity-strip-mitm", "identity");
  EXPECT_EQ(required.sessions.back().outcome, Outcome::Detected);
  EXPECT_EQ(required.sessions.back().offerer_result.report.alarms, std::vector<std::string>{"identity-missing"});
  EXPECT_EQ(required.sessions.back().answerer_result.report.alarms, std::vector<std::string>{"identity-missing"});
  const auto optional = run_cell("identity-strip-mitm", "identity-optional");
  EXPECT_EQ(optional.sessions.back().outcome, Outcome::MitmUndetected);
  EXPECT_TRUE(optional.sessions.back().offerer_result.report.alarms.empty());
  EXPECT_TRUE(optional.sessions.back().answerer_result.report.alarms.empty());
}

// RFC 8122 §5's preferred-hash rule is the whole difference between
// sdp-fingerprint and sdp-fingerprint-any, and the real downgrade is the row
// that exercises it: the expectations differ there and nowhere else.
TEST(Matrix, DowngradeIsTheRowWhereThePreferredHashRuleDecides) {
  for (const auto& [attack, row] : expectations()) {
    if (attack == "downgrade-mitm") continue;
    EXPECT_EQ(row.at("sdp-fingerprint").outcome, row.at("sdp-fingerprint-any").outcome) << attack;
  }
  const auto rfc = run_cell("downgrade-mitm", "sdp-fingerprint");
  EXPECT_EQ(rfc.sessions.back().outcome, Outcome::Detected);
  EXPECT_EQ(rfc.sessions.back().offerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  EXPECT_EQ(rfc.sessions.back().answerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  const auto any = run_cell("downgrade-mitm", "sdp-fingerprint-any");
  EXPECT_EQ(any.sessions.back().outcome, Outcome::MitmUndetected);
  EXPECT_EQ(any.sessions.back().offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(any.sessions.back().answerer_result.dtls_peer_owner, "mallory");
}

// A stack that reads one a=fingerprint line is fooled by the attacker who
// puts its line there: append-mitm and prepend-mitm each pass exactly one.
TEST(Matrix, AppendAndPrependEachFoolExactlyOneOfTheOneLineChecks) {
  const std::pair<const char*, const char*> fooled[] = {{"append-mitm", "sdp-fingerprint-last"},
                                                        {"prepend-mitm", "sdp-fingerprint-first"}};
  const std::pair<const char*, const char*> caught[] = {{"append-mitm", "sdp-fingerprint-first"},
                                                        {"prepend-mitm", "sdp-fingerprint-last"}};
  for (const auto& [attack, trust] : fooled)
    EXPECT_EQ(run_cell(attack, trust).sessions.back().outcome, Outcome::MitmUndetected) << attack << " × " << trust;
  for (const auto& [attack, trust] : caught) {
    const auto r = run_cell(attack, trust);
    EXPECT_EQ(r.sessions.back().outcome, Outcome::Detected) << attack << " × " << trust;
    EXPECT_EQ(r.sessions.back().offerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
    EXPECT_EQ(r.sessions.back().answerer_result.report.alarms, std::vector<std::string>{"fingerprint-mismatch"});
  }
}

// sdp-fingerprint-sha256 models aiortc 1.4.0 (docs/interop.md: any sha-256
// line counts, no other hash is read): its column gives, for every signaling
// attack, the outcome `sigtrust interop --stacks aiortc` measured, with the
// alarm it raises (at both ends through a bridge; fingerprint-only has one
// DTLS session, so one end). Not setup-flip: aiortc's handshake between two
// DTLS clients fails and the relay calls that `detected`, the simulator
// `failed` for every configuration (docs/trust.md, "Real stacks").
TEST(Matrix, Sha256OnlyGivesWhatAiortcShowedUnderEverySignalingAttack) {
  struct Row {
    const char* attack;
    Outcome outcome;
    const char* alarm;  // "" for none
    bool both_ends;
  };
  const Row rows[] = {{"none", Outcome::Secure, "", true},
                      {"swap-mitm", Outcome::MitmUndetected, "", true},
                      {"strip-mitm", Outcome::Detected, "fingerprint-missing", true},
                      {"append-mitm", Outcome::MitmUndetected, "", true},
                      {"prepend-mitm", Outcome::MitmUndetected, "", true},
                      {"downgrade-mitm", Outcome::Detected, "fingerprint-mismatch", true},
                      {"hash-swap-mitm", Outcome::Detected, "fingerprint-mismatch", true},
                      {"sas-grind-mitm", Outcome::MitmUndetected, "", true},
                      {"identity-strip-mitm", Outcome::MitmUndetected, "", true},
                      {"fingerprint-only", Outcome::Detected, "fingerprint-mismatch", false},
                      {"drop-answer", Outcome::Failed, "", true}};
  for (const auto& row : rows) {
    const auto r = run_cell(row.attack, "sdp-fingerprint-sha256");
    ASSERT_TRUE(r.error.empty()) << row.attack << ": " << r.error;
    const auto& s = r.sessions.back();
    EXPECT_EQ(s.outcome, row.outcome) << row.attack << ": " << to_string(s.outcome);
    const std::vector<std::string> none, alarm{row.alarm};
    const auto &a = s.offerer_result.report.alarms, &b = s.answerer_result.report.alarms;
    if (*row.alarm == '\0' || row.both_ends) {
      EXPECT_EQ(a, *row.alarm ? alarm : none) << row.attack;
      EXPECT_EQ(b, *row.alarm ? alarm : none) << row.attack;
    } else {
      EXPECT_TRUE((a == alarm && b == none) || (a == none && b == alarm)) << row.attack;
    }
  }
}

// The sas-grind-mitm row shows at which SAS length the grind wins within its
// budget: 4096 tries find a match for an 8-bit SAS (a miss has probability
// (255/256)^4096, about 1e-7), while 64 tries against the default 20-bit SAS
// find one with probability 64 * 2^-20, about 6e-5 (docs/trust.md).
TEST(Matrix, SasGrindWinsAgainstAnEightBitSasAndLosesAgainstTwentyBits) {
  const auto won = run_cell("sas-grind-mitm", "sas(bits=8)");
  ASSERT_TRUE(won.error.empty()) << won.error;
  EXPECT_EQ(won.trust, "sas");  // a variant keeps the column's stable name
  const auto& w = won.sessions.back();
  EXPECT_EQ(w.outcome, Outcome::MitmUndetected) << to_string(w.outcome);
  EXPECT_TRUE(w.offerer_result.report.alarms.empty());
  EXPECT_TRUE(w.answerer_result.report.alarms.empty());
  EXPECT_EQ(w.offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(w.answerer_result.dtls_peer_owner, "mallory");
  EXPECT_TRUE(w.attacker.grind_matched);
  EXPECT_GE(w.attacker.grind_tries, 1u);
  EXPECT_LE(w.attacker.grind_tries, 4096u);
  EXPECT_EQ(w.attacker.plaintext_read.size(), 3u);

  const auto lost = run_cell("sas-grind-mitm", "sas");
  ASSERT_TRUE(lost.error.empty()) << lost.error;
  const auto& l = lost.sessions.back();
  EXPECT_EQ(l.outcome, Outcome::Detected) << to_string(l.outcome);
  EXPECT_EQ(l.offerer_result.report.alarms, std::vector<std::string>{"sas-mismatch"});
  EXPECT_EQ(l.answerer_result.report.alarms, std::vector<std::string>{"sas-mismatch"});
  EXPECT_FALSE(l.attacker.grind_matched);
  EXPECT_EQ(l.attacker.grind_tries, 64u);
  EXPECT_TRUE(l.attacker.plaintext_read.empty());
}

// A variant cell runs right after its column, with its trust parameters on
// both peers and its attack parameters on top of the declared defaults.
TEST(Matrix, VariantCellsRunAfterTheirColumnWithTheirParameters) {
  const auto& row = expectations().at("sas-grind-mitm");
  EXPECT_EQ(row_cells(row, {"sas", "tofu"}), (std::vector<std::string>{"sas", "sas(bits=4)", "sas(bits=8)", "tofu"}));
  EXPECT_EQ(row_cells(row, {"tofu"}), std::vector<std::string>{"tofu"});
  const auto s = matrix_cell("sas-grind-mitm", "sas(bits=8)", row.at("sas(bits=8)"), attacks::vocabulary());
  EXPECT_EQ(s.name, "sas-grind-mitm/sas(bits=8)");
  ASSERT_EQ(s.peers.size(), 2u);
  for (const auto& p : s.peers) {
    EXPECT_EQ(p.trust, std::vector<std::string>{"sas"});
    EXPECT_EQ(p.trust_params.at("bits"), "8");
    EXPECT_EQ(p.trust_params.at("miss-rate"), "0");  // the default, untouched
  }
  EXPECT_EQ(s.attack.params.at("budget"), "4096");
  EXPECT_EQ(s.attack.params.at("sas-bits"), "8");
  const auto plain = matrix_cell("sas-grind-mitm", "sas", row.at("sas"), attacks::vocabulary());
  EXPECT_EQ(plain.attack.params.at("budget"), "64");
  EXPECT_EQ(plain.peers[0].trust_params.at("bits"), "20");
  // A grinding cell gets the grind's time (as scenarios/sas-grind.yaml), others 5 s.
  EXPECT_EQ(s.deadline_ms, 20000u);
  EXPECT_EQ(
      matrix_cell("swap-mitm", "sas", expectations().at("swap-mitm").at("sas"), attacks::vocabulary()).deadline_ms,
      5000u);
}

// Every refusal names the file, line and column of the bad entry.
TEST(Matrix, BadVariantCellsAreRefusedWithTheirLocation) {
  const std::pair<std::string, std::string> bad[] = {
      {"sas(bits=99): {expect: detected, why: x}", "e.yaml:2:3: parameter 'bits' must be an integer from 4 to 20"},
      {"sas(colour=red): {expect: detected, why: x}", "e.yaml:2:3: unknown parameter 'colour' of the trust"},
      {"sas(bits): {expect: detected, why: x}", "e.yaml:2:3: expected a trust configuration or a variant"},
      {"sas: {expect: detected, why: x, attack: {budget: 8}}", "e.yaml:2:8: expected {expect: <outcome>, why:"},
      {"sas(bits=8): {expect: detected, why: x, attack: {budget: 0}}",
       "e.yaml:2:51: parameter 'budget' must be an integer from 1 to 1000000"},
      {"sas(bits=8): {expect: detected, why: x, attack: {colour: red}}",
       "e.yaml:2:51: unknown parameter 'colour' of the attack 'sas-grind-mitm'"},
  };
  const auto dir = std::filesystem::temp_directory_path() / ("sigtrust-matrix-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "e.yaml").string();
  for (const auto& [cell, message] : bad) {
    std::ofstream(path) << "sas-grind-mitm:\n  " << cell << "\n";
    const auto r = load_matrix_expectations(path, attacks::vocabulary());
    ASSERT_FALSE(r) << cell;
    const std::string got = r.error().message.substr(r.error().message.find("e.yaml"));
    EXPECT_EQ(got.substr(0, message.size()), message) << got;
  }
  std::filesystem::remove_all(dir);
}

TEST(Matrix, TofuCellRunsAnHonestFirstContactThenTheAttackedSession) {
  const auto r = run_cell("swap-mitm", "tofu");
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::Secure);
  EXPECT_EQ(r.sessions[0].offerer_result.dtls_peer_owner, "bob");
  EXPECT_EQ(r.sessions[1].outcome, Outcome::Detected);
  EXPECT_EQ(r.sessions[1].offerer_result.report.alarms, std::vector<std::string>{"tofu-key-changed"});
  EXPECT_EQ(r.sessions[1].answerer_result.report.alarms, std::vector<std::string>{"tofu-key-changed"});
}

TEST(Trust, TofuFirstContactPoisoningPinsTheAttacker) {
  const auto r =
      testing::run(testing::load_yaml(testing::read_text(SIGTRUST_SOURCE_DIR "/scenarios/tofu-poisoned.yaml")));
  ASSERT_EQ(r.sessions.size(), 2u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::MitmUndetected);  // attacked first: the attacker is pinned
  EXPECT_EQ(r.sessions[1].outcome, Outcome::MitmUndetected);  // and stays "continuous"
  EXPECT_TRUE(all_passed(r));
}

TEST(Trust, CombinationNeedsEveryPartToPass) {
  auto yaml = testing::two_peer_yaml("sdp-fingerprint+sas", "{attack: swap-mitm}", "detected");
  yaml.replace(yaml.find("    expect:"), 0, "    out_of_band: true\n");
  const auto r = testing::run(testing::load_yaml(yaml));
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::Detected);
  EXPECT_EQ(r.sessions[0].offerer_result.report.alarms, std::vector<std::string>{"sas-mismatch"});
}

TEST(Trust, SasHoldsDataUntilTheUsersCompared) {
  auto yaml = testing::two_peer_yaml("sas", "honest", "secure");
  yaml.replace(yaml.find("    expect:"), 0, "    out_of_band: true\n");
  const auto r = testing::run(testing::load_yaml(yaml));
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::Secure);
  // The comparison is in the timeline before any data was sent.
  double compared = -1, first_data = -1;
  for (const auto& e : r.timeline) {
    if (e.kind == "trust.accepted" && e.text.find("SAS") != std::string::npos && compared < 0) compared = e.t_ms;
    if (e.kind == "data.sent" && first_data < 0) first_data = e.t_ms;
  }
  ASSERT_GE(compared, 0);
  EXPECT_LE(compared, first_data);
}

// RFC 6189-style SAS compared by people who miss a mismatch half the time:
// over 200 seeded runs the detected share lies in the binomial 99% interval.
TEST(Trust, SasMissRateHalfDetectsAboutHalfAndSeedsAreReproducible) {
  const int n = 200;
  std::vector<Outcome> outcomes;
  int detected = 0;
  for (int seed = 1; seed <= n; ++seed) {
    const auto o = run_cell("swap-mitm", "sas", static_cast<std::uint64_t>(seed), "0.5").sessions.back().outcome;
    ASSERT_TRUE(o == Outcome::Detected || o == Outcome::MitmUndetected) << to_string(o);
    detected += o == Outcome::Detected;
    outcomes.push_back(o);
  }
  const double half_width = 2.5758 * std::sqrt(n * 0.5 * 0.5);  // z(0.995) · σ
  EXPECT_GE(detected, static_cast<int>(std::ceil(n * 0.5 - half_width)));
  EXPECT_LE(detected, static_cast<int>(std::floor(n * 0.5 + half_width)));
  for (int seed = 1; seed <= 20; ++seed)
    EXPECT_EQ(run_cell("swap-mitm", "sas", static_cast<std::uint64_t>(seed), "0.5").sessions.back().outcome,
              outcomes[static_cast<size_t>(seed - 1)])
        << "seed " << seed;
}

}  // namespace
}  // namespace sigtrust
