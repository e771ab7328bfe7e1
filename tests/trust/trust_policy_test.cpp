#include "trust/trust_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "net/certificate.hpp"
#include "bob_and_mallory.hpp"

namespace sigtrust {
namespace {

class TrustPolicyTest : public testing_support::BobAndMallory {
 protected:
  static sdp::Fingerprint fp(const Certificate& c, const std::string& hash) {
    auto r = c.fingerprint(hash);
    EXPECT_TRUE(r.ok()) << hash;
    return r.ok() ? *r : sdp::Fingerprint{};
  }

  static sdp::TransportInfo with(std::vector<sdp::Fingerprint> fps) {
    sdp::TransportInfo info;
    info.fingerprints = std::move(fps);
    return info;
  }

  // Runs the named policy combination against `info`, with `presented` shown in DTLS.
  static TrustVerdict check(const std::string& names, const sdp::TransportInfo& info, const Certificate& presented,
                            DtlsRole role = DtlsRole::Server) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      const size_t plus = names.find('+', start);
      parts.push_back(names.substr(start, plus - start));
      if (plus == std::string::npos) break;
      start = plus + 1;
    }
    auto policy = make_trust_policy(parts, TrustContext{});
    EXPECT_NE(policy, nullptr) << names;
    if (!policy) return {false, {"no-policy"}, ""};
    static const sdp::Session kNoSdp;
    return policy->check_certificate(TrustCheck{kNoSdp, info, presented.der(), role});
  }

  static bool has_alarm(const TrustVerdict& v, const std::string& alarm) {
    return std::find(v.alarms.begin(), v.alarms.end(), alarm) != v.alarms.end();
  }
};

// ----- Registry -------------------------------------------------------------

TEST_F(TrustPolicyTest, ConfigurationsListDesignMdNamesInOrder) {
  std::vector<std::string> names;
  for (const auto& d : trust_configurations()) {
    names.push_back(d.name);
    EXPECT_FALSE(d.summary.empty()) << d.name;
  }
  const std::vector<std::string> want = {"no-verification",        "sdp-fingerprint",      "sdp-fingerprint-any",
                                         "sdp-fingerprint-first",  "sdp-fingerprint-last", "sdp-fingerprint-by-level",
                                         "sdp-fingerprint-sha256", "self-compare-bug",     "client-skip-bug",
                                         "log-only-bug",           "missing-accepted-bug"};
  // Later docs/architecture.md names (oob-fingerprint, sas, ...) may be added after these.
  ASSERT_GE(names.size(), want.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + static_cast<long>(want.size())), want);
}

TEST_F(TrustPolicyTest, EveryConfigurationCanBeBuiltAndKeepsItsName) {
  for (const auto& d : trust_configurations()) {
    auto p = make_trust_policy({d.name}, TrustContext{});
    ASSERT_NE(p, nullptr) << d.name;
    EXPECT_EQ(p->name(), d.name);
  }
}

TEST_F(TrustPolicyTest, UnknownNameGivesNullptr) {
  EXPECT_EQ(make_trust_policy({"trust-me"}, TrustContext{}), nullptr);
  EXPECT_EQ(make_trust_policy({"sdp-fingerprint", "trust-me"}, TrustContext{}), nullptr);
  EXPECT_EQ(make_trust_policy({}, TrustContext{}), nullptr);
}

// ----- no-verification -------------------------------------------------------

TEST_F(TrustPolicyTest, NoVerificationAcceptsAnyCertificateWithoutAlarm) {
  auto mismatch = check("no-verification", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_TRUE(mismatch.accept);
  EXPECT_TRUE(mismatch.alarms.empty());
  auto missing = check("no-verification", with({}), *mallory_);
  EXPECT_TRUE(missing.accept);
  EXPECT_TRUE(missing.alarms.empty());
}

// ----- sdp-fingerprint (RFC 8122 §5) -----------------------------------------

TEST_F(TrustPolicyTest, SdpFingerprintAcceptsMatchingCertificate) {
  auto v = check("sdp-fingerprint", with({fp(*bob_, "sha-256")}), *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(TrustPolicyTest, SdpFingerprintRefusesMismatchWithFingerprintMismatch) {
  auto v = check("sdp-fingerprint", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMismatch)) << v.detail;
  EXPECT_FALSE(v.detail.empty());
}

TEST_F(TrustPolicyTest, SdpFingerprintRefusesMissingWithFingerprintMissing) {
  auto v = check("sdp-fingerprint", with({}), *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMissing));
}

TEST_F(TrustPolicyTest, SdpFingerprintRefusesMd5OnlyWithWeakHash) {
  // RFC 8122 §5: MD2 and MD5 MUST NOT be used, even when the digest matches.
  auto v = check("sdp-fingerprint", with({fp(*bob_, "md5")}), *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kWeakHash)) << v.detail;
}

TEST_F(TrustPolicyTest, SdpFingerprintUsesMostPreferredHashSoWrongSha256BeatsRightSha1) {
  // RFC 8122 §5: the most preferred hash (sha-256 over sha-1) decides.
  auto v = check("sdp-fingerprint", with({fp(*mallory_, "sha-256"), fp(*bob_, "sha-1")}), *bob_);
  EXPECT_FALSE(v.accept) << v.detail;
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMismatch));
  // Order in the SDP does not matter.
  auto reversed = check("sdp-fingerprint", with({fp(*bob_, "sha-1"), fp(*mallory_, "sha-256")}), *bob_);
  EXPECT_FALSE(reversed.accept) << reversed.detail;
}

TEST_F(TrustPolicyTest, SdpFingerprintAcceptsWhenOneOfTwoSha256Matches) {
  auto v = check("sdp-fingerprint", with({fp(*mallory_, "sha-256"), fp(*bob_, "sha-256")}), *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(TrustPolicyTest, SdpFingerprintAcceptsLowerCaseHex) {
  auto f = fp(*bob_, "sha-256");
  std::transform(f.value.begin(), f.value.end(), f.value.begin(), [](unsigned char c) { return std::tolower(c); });
  auto v = check("sdp-fingerprint", with({f}), *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
}

TEST_F(TrustPolicyTest, SdpFingerprintPrefersSha256OverMd5) {
  auto v = check("sdp-fingerprint", with({fp(*mallory_, "md5"), fp(*bob_, "sha-256")}), *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
}

TEST_F(TrustPolicyTest, SdpFingerprintRefusesUnsupportedHashOnly) {
  auto v = check("sdp-fingerprint", with({sdp::Fingerprint{"sha-3000", "AB:CD"}}), *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kUnsupportedHash)) << v.detail;
}

// ----- sdp-fingerprint-any -----------------------------------------------------

TEST_F(TrustPolicyTest, SdpFingerprintAnyAcceptsAMatchUnderAnyHash) {
  // Where sdp-fingerprint refuses (a less preferred hash matches), -any accepts.
  auto v = check("sdp-fingerprint-any", with({fp(*mallory_, "sha-256"), fp(*bob_, "sha-1")}), *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
  auto md5 = check("sdp-fingerprint-any", with({fp(*bob_, "md5")}), *bob_);
  EXPECT_TRUE(md5.accept) << md5.detail;
}

TEST_F(TrustPolicyTest, SdpFingerprintAnyRefusesMismatchAndMissing) {
  auto mismatch = check("sdp-fingerprint-any", with({fp(*bob_, "sha-256"), fp(*bob_, "sha-1")}), *mallory_);
  EXPECT_FALSE(mismatch.accept);
  EXPECT_TRUE(has_alarm(mismatch, alarm::kFingerprintMismatch));
  auto missing = check("sdp-fingerprint-any", with({}), *bob_);
  EXPECT_FALSE(missing.accept);
  EXPECT_TRUE(has_alarm(missing, alarm::kFingerprintMissing));
}

// The RFC 8122 §5 preferred-hash rule is the whole difference between
// sdp-fingerprint and sdp-fingerprint-any: a real downgrade keeps the peer's
// sha-256 line and adds the attacker's under sha-1.
TEST_F(TrustPolicyTest, DowngradeIsRefusedByThePreferredHashRuleAndAcceptedByAny) {
  const auto downgraded = with({fp(*bob_, "sha-256"), fp(*mallory_, "sha-1")});
  auto rfc = check("sdp-fingerprint", downgraded, *mallory_);
  EXPECT_FALSE(rfc.accept);
  EXPECT_EQ(rfc.alarms, std::vector<std::string>{alarm::kFingerprintMismatch});
  EXPECT_TRUE(check("sdp-fingerprint-any", downgraded, *mallory_).accept);
  // The real peer still passes both.
  EXPECT_TRUE(check("sdp-fingerprint", downgraded, *bob_).accept);
}

// ----- sdp-fingerprint-first / -last ---------------------------------------------

TEST_F(TrustPolicyTest, FirstLineOnlyChecksTheFirstFingerprint) {
  const auto appended = with({fp(*bob_, "sha-256"), fp(*mallory_, "sha-256")});
  const auto prepended = with({fp(*mallory_, "sha-256"), fp(*bob_, "sha-256")});
  EXPECT_TRUE(check("sdp-fingerprint-first", appended, *bob_).accept);
  auto v = check("sdp-fingerprint-first", appended, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(v.alarms, std::vector<std::string>{alarm::kFingerprintMismatch});
  EXPECT_TRUE(check("sdp-fingerprint-first", prepended, *mallory_).accept);
  EXPECT_FALSE(check("sdp-fingerprint-first", prepended, *bob_).accept) << "a second line is never looked at";
}

TEST_F(TrustPolicyTest, LastLineOnlyChecksTheLastFingerprint) {
  const auto appended = with({fp(*bob_, "sha-256"), fp(*mallory_, "sha-256")});
  const auto prepended = with({fp(*mallory_, "sha-256"), fp(*bob_, "sha-256")});
  EXPECT_TRUE(check("sdp-fingerprint-last", appended, *mallory_).accept);
  auto v = check("sdp-fingerprint-last", prepended, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(v.alarms, std::vector<std::string>{alarm::kFingerprintMismatch});
  EXPECT_TRUE(check("sdp-fingerprint-last", prepended, *bob_).accept);
}

// libdatachannel: one line, the first at session level and the last in a media section.
TEST_F(TrustPolicyTest, ByLevelWritesAtSessionLevelAndReadsTheFirstThereOrTheLastInTheMediaSection) {
  const auto policy = make_trust_policy({"sdp-fingerprint-by-level"}, TrustContext{});
  ASSERT_NE(policy, nullptr);
  sdp::DataChannelDescription d;
  d.fingerprints = {fp(*bob_, "sha-256")};
  const sdp::Session media_level = sdp::make_data_channel(d);
  sdp::Session session_level = media_level;
  policy->decorate(session_level, d.fingerprints);
  ASSERT_EQ(sdp::find_all(session_level, -1, "fingerprint").size(), 1u) << sdp::write(session_level);
  EXPECT_TRUE(sdp::find_all(session_level, 0, "fingerprint").empty()) << sdp::write(session_level);

  // An attacker adds its line where the sender's is, after (append) or before (prepend) it.
  const auto added = [&](sdp::Session s, int level, bool before) {
    auto& attrs = sdp::attributes_at(s, level);
    const auto at =
        std::find_if(attrs.begin(), attrs.end(), [](const sdp::Attribute& a) { return a.name == "fingerprint"; });
    const sdp::Attribute line{"fingerprint", sdp::format_fingerprint(fp(*mallory_, "sha-256"))};
    if (before) attrs.insert(at, line);
    else attrs.insert(std::next(at), line);
    return s;
  };
  const auto verdict = [&](const sdp::Session& s, const Certificate& presented) {
    return policy->check_certificate(TrustCheck{s, sdp::transport_info(s), presented.der(), DtlsRole::Server});
  };
  // Session level: the first line.
  EXPECT_FALSE(verdict(added(session_level, -1, false), *mallory_).accept);
  EXPECT_TRUE(verdict(added(session_level, -1, false), *bob_).accept);
  EXPECT_TRUE(verdict(added(session_level, -1, true), *mallory_).accept);
  // A media section: the last line.
  EXPECT_TRUE(verdict(added(media_level, 0, false), *mallory_).accept);
  const auto refused = verdict(added(media_level, 0, true), *mallory_);
  EXPECT_FALSE(refused.accept);
  EXPECT_EQ(refused.alarms, std::vector<std::string>{alarm::kFingerprintMismatch});
  EXPECT_TRUE(verdict(added(media_level, 0, true), *bob_).accept);
}

TEST_F(TrustPolicyTest, OneLineChecksUseThatLinesHashAndRefuseMissingOrUnsupported) {
  // The line's own hash, even a weak one: these stacks know no preference.
  EXPECT_TRUE(check("sdp-fingerprint-last", with({fp(*bob_, "sha-256"), fp(*mallory_, "sha-1")}), *mallory_).accept);
  for (const char* name : {"sdp-fingerprint-first", "sdp-fingerprint-last"}) {
    auto missing = check(name, with({}), *bob_);
    EXPECT_FALSE(missing.accept);
    EXPECT_EQ(missing.alarms, std::vector<std::string>{alarm::kFingerprintMissing}) << name;
    auto unsupported = check(name, with({{"md2", "AB:CD"}}), *bob_);
    EXPECT_FALSE(unsupported.accept);
    EXPECT_EQ(unsupported.alarms, std::vector<std::string>{alarm::kUnsupportedHash}) << name;
  }
}

// ----- sdp-fingerprint-sha256 (aiortc's check) ----------------------------------

TEST_F(TrustPolicyTest, Sha256OnlyAcceptsAnySha256LineAndNeverReadsAnotherHash) {
  const char* name = "sdp-fingerprint-sha256";
  EXPECT_TRUE(check(name, with({fp(*bob_, "sha-256"), fp(*mallory_, "sha-256")}), *mallory_).accept);
  EXPECT_TRUE(check(name, with({fp(*mallory_, "sha-256"), fp(*bob_, "sha-256")}), *mallory_).accept);
  // A downgrade: the attacker's sha-1 line is not read, the real sha-256 line is.
  auto downgrade = check(name, with({fp(*bob_, "sha-256"), fp(*mallory_, "sha-1")}), *mallory_);
  EXPECT_FALSE(downgrade.accept);
  EXPECT_EQ(downgrade.alarms, std::vector<std::string>{alarm::kFingerprintMismatch});
  // A sha-1 line alone, even the right one, leaves nothing to check.
  auto sha1_only = check(name, with({fp(*bob_, "sha-1")}), *bob_);
  EXPECT_FALSE(sha1_only.accept);
  EXPECT_EQ(sha1_only.alarms, std::vector<std::string>{alarm::kFingerprintMismatch});
  auto missing = check(name, with({}), *bob_);
  EXPECT_FALSE(missing.accept);
  EXPECT_EQ(missing.alarms, std::vector<std::string>{alarm::kFingerprintMissing});
}

// ----- self-compare-bug --------------------------------------------------------

TEST_F(TrustPolicyTest, SelfCompareBugAcceptsAMismatchedCertificate) {
  auto v = check("self-compare-bug", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_TRUE(v.accept);
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(TrustPolicyTest, SelfCompareBugStillRefusesAMissingFingerprint) {
  auto v = check("self-compare-bug", with({}), *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMissing));
}

// ----- client-skip-bug ---------------------------------------------------------

TEST_F(TrustPolicyTest, ClientSkipBugAcceptsMismatchAsDtlsClient) {
  auto v = check("client-skip-bug", with({fp(*bob_, "sha-256")}), *mallory_, DtlsRole::Client);
  EXPECT_TRUE(v.accept) << v.detail;
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(TrustPolicyTest, ClientSkipBugRefusesMismatchAsDtlsServer) {
  auto v = check("client-skip-bug", with({fp(*bob_, "sha-256")}), *mallory_, DtlsRole::Server);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMismatch));
  auto ok = check("client-skip-bug", with({fp(*bob_, "sha-256")}), *bob_, DtlsRole::Server);
  EXPECT_TRUE(ok.accept) << ok.detail;
}

// ----- log-only-bug ------------------------------------------------------------

TEST_F(TrustPolicyTest, LogOnlyBugAcceptsMismatchButRaisesAlarm) {
  auto v = check("log-only-bug", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_TRUE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMismatch));
}

TEST_F(TrustPolicyTest, LogOnlyBugAcceptsMatchWithoutAlarm) {
  auto v = check("log-only-bug", with({fp(*bob_, "sha-256")}), *bob_);
  EXPECT_TRUE(v.accept);
  EXPECT_TRUE(v.alarms.empty());
}

// ----- missing-accepted-bug ----------------------------------------------------

TEST_F(TrustPolicyTest, MissingAcceptedBugAcceptsMissingFingerprint) {
  auto v = check("missing-accepted-bug", with({}), *mallory_);
  EXPECT_TRUE(v.accept);
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(TrustPolicyTest, MissingAcceptedBugStillRefusesMismatch) {
  auto v = check("missing-accepted-bug", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMismatch));
  auto ok = check("missing-accepted-bug", with({fp(*bob_, "sha-256")}), *bob_);
  EXPECT_TRUE(ok.accept);
}

// ----- combinations ------------------------------------------------------------

TEST_F(TrustPolicyTest, CombinationIsNamedWithPlusAndAllMustAccept) {
  auto p = make_trust_policy({"no-verification", "sdp-fingerprint"}, TrustContext{});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name(), "no-verification+sdp-fingerprint");

  // no-verification accepts, sdp-fingerprint refuses: the combination refuses.
  auto refused = check("no-verification+sdp-fingerprint", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_FALSE(refused.accept);
  EXPECT_TRUE(has_alarm(refused, alarm::kFingerprintMismatch));

  auto accepted = check("no-verification+sdp-fingerprint", with({fp(*bob_, "sha-256")}), *bob_);
  EXPECT_TRUE(accepted.accept) << accepted.detail;
}

TEST_F(TrustPolicyTest, CombinationRefusesWhenTheSecondPartRefuses) {
  // self-compare-bug alone would accept; whichever comes first, sdp-fingerprint refuses.
  auto v = check("self-compare-bug+sdp-fingerprint", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_FALSE(v.accept);
  auto w = check("sdp-fingerprint+self-compare-bug", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_FALSE(w.accept);
}

TEST_F(TrustPolicyTest, CombinationKeepsAlarmsOfAPartThatAccepted) {
  // log-only-bug accepts but alarms; no-verification accepts: accepted, alarm kept.
  auto v = check("log-only-bug+no-verification", with({fp(*bob_, "sha-256")}), *mallory_);
  EXPECT_TRUE(v.accept);
  EXPECT_TRUE(has_alarm(v, alarm::kFingerprintMismatch));
}

}  // namespace
}  // namespace sigtrust
