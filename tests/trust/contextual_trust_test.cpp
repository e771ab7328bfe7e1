// The six trust configurations that consult more than the certificate and
// the SDP (oob-fingerprint, sas, identity, identity-optional, pinned-key,
// tofu): the accepting path of each and every way each refuses. Real
// certificates and keys; the SAS comparison runs on a real main loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/certificate.hpp"
#include "bob_and_mallory.hpp"
#include "trust/identity_provider.hpp"
#include "trust/out_of_band.hpp"
#include "trust/signing_key.hpp"
#include "trust/trust_policy.hpp"

namespace sigtrust {
namespace {

class ContextualTrust : public testing_support::BobAndMallory {
 protected:
  static sdp::Fingerprint sha256(const Certificate& c) { return c.fingerprint(); }

  // Alice's context: she means to talk to bob.
  static TrustContext alice() {
    TrustContext ctx;
    ctx.self = "alice";
    ctx.intended = "bob";
    return ctx;
  }
  // Bob's, the sender of the SDP alice checks.
  static TrustContext bob() {
    TrustContext ctx;
    ctx.self = "bob";
    ctx.intended = "alice";
    return ctx;
  }

  static std::unique_ptr<TrustPolicy> policy(const std::string& name, TrustContext ctx) {
    auto p = make_trust_policy({name}, std::move(ctx));
    EXPECT_NE(p, nullptr) << name;
    return p;
  }

  // Bob's SDP as sent: his fingerprints, decorated by his policy (if any).
  static sdp::Session bobs_sdp(const std::vector<sdp::Fingerprint>& fps, const TrustPolicy* bobs_policy) {
    sdp::Session s;
    if (bobs_policy) bobs_policy->decorate(s, fps);
    return s;
  }

  // Alice checks `presented` against `sdp` carrying `fps`.
  static TrustVerdict check(const TrustPolicy& p, const sdp::Session& s, const std::vector<sdp::Fingerprint>& fps,
                            const Certificate& presented) {
    sdp::TransportInfo info;
    info.fingerprints = fps;
    return p.check_certificate(TrustCheck{s, info, presented.der(), DtlsRole::Server});
  }

  static std::vector<std::string> alarms(const TrustVerdict& v) { return v.alarms; }
};

using Alarms = std::vector<std::string>;

// ----- oob-fingerprint --------------------------------------------------------

TEST_F(ContextualTrust, OobFingerprintAcceptsTheCertificateShownOutOfBand) {
  MainLoop loop;
  OutOfBand oob(loop, 1, 0);
  oob.publish_fingerprint("bob", bob_->fingerprint());
  auto ctx = alice();
  ctx.oob = &oob;
  const auto v = check(*policy("oob-fingerprint", ctx), {}, {sha256(*mallory_)}, *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(ContextualTrust, OobFingerprintComparesTheHexCaseInsensitively) {
  MainLoop loop;
  OutOfBand oob(loop, 1, 0);
  sdp::Fingerprint shown = bob_->fingerprint();
  for (char& c : shown.value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  oob.publish_fingerprint("bob", shown);  // read off a QR code in lower case
  auto ctx = alice();
  ctx.oob = &oob;
  const auto v = check(*policy("oob-fingerprint", ctx), {}, {sha256(*bob_)}, *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
}

TEST_F(ContextualTrust, OobFingerprintRefusesAnotherCertificate) {
  MainLoop loop;
  OutOfBand oob(loop, 1, 0);
  oob.publish_fingerprint("bob", bob_->fingerprint());
  auto ctx = alice();
  ctx.oob = &oob;
  // Even when the SDP names the attacker's certificate: the SDP is not consulted.
  const auto v = check(*policy("oob-fingerprint", ctx), {}, {sha256(*mallory_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kOobMismatch});
}

TEST_F(ContextualTrust, OobFingerprintRefusesWithoutAnOutOfBandChannel) {
  const auto v = check(*policy("oob-fingerprint", alice()), {}, {sha256(*bob_)}, *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kOobMismatch});
  EXPECT_NE(v.detail.find("no fingerprint of bob learned out of band"), std::string::npos) << v.detail;
}

TEST_F(ContextualTrust, OobFingerprintRefusesWhenTheIntendedPeerShowedNothing) {
  MainLoop loop;
  OutOfBand oob(loop, 1, 0);
  oob.publish_fingerprint("carol", bob_->fingerprint());  // someone else's QR code
  auto ctx = alice();
  ctx.oob = &oob;
  const auto v = check(*policy("oob-fingerprint", ctx), {}, {sha256(*bob_)}, *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kOobMismatch});
}

// ----- sas --------------------------------------------------------------------

struct SasRun {
  std::optional<TrustVerdict> alice, bob;
};

// Both users' SAS policies compare over one out-of-band channel; each side's
// exporter gives `alice_bytes` / `bob_bytes`. `bob_present` false: bob's side
// never gets to the comparison.
SasRun compare(const std::vector<std::uint8_t>& alice_bytes, const std::vector<std::uint8_t>& bob_bytes,
               const std::string& miss_rate, bool bob_present = true) {
  MainLoop loop;
  OutOfBand oob(loop, 7, 0);
  TrustContext a{"alice", "bob", {{"miss-rate", miss_rate}}, &oob, nullptr, nullptr, {}, nullptr};
  TrustContext b{"bob", "alice", {{"miss-rate", miss_rate}}, &oob, nullptr, nullptr, {}, nullptr};
  auto pa = make_trust_policy({"sas"}, a);
  auto pb = make_trust_policy({"sas"}, b);
  SasRun out;
  pa->after_handshake([&] { return alice_bytes; }, [&](TrustVerdict v) { out.alice = std::move(v); });
  if (bob_present) pb->after_handshake([&] { return bob_bytes; }, [&](TrustVerdict v) { out.bob = std::move(v); });
  else oob.give_up("bob");
  loop.run_until([&] { return out.alice && (out.bob || !bob_present); }, Clock::now() + std::chrono::seconds(10));
  return out;
}

const std::vector<std::uint8_t> kExporterA(32, 0x11);
const std::vector<std::uint8_t> kExporterB(32, 0xEE);

TEST(SasRendering, KeepsTheLeftmostBitsInBase32) {
  // 0xA5 0x3C 0x96 -> leftmost 20 bits 1010 0101 0011 1100 1001 = 10100 10100 11110 01001
  // -> indices 20, 20, 30, 9 of "ybndrfg8ejkmcpqxot1uwisza345h769".
  const std::vector<std::uint8_t> b{0xA5, 0x3C, 0x96, 0xFF};
  EXPECT_EQ(render_sas(b), "ww6j");
  EXPECT_EQ(render_sas(b, 20), "ww6j");
  EXPECT_EQ(render_sas(b, 15), "ww6");
  EXPECT_EQ(render_sas(b, 10), "ww");
  EXPECT_EQ(render_sas(b, 5), "w");
  // A partial last character keeps its leading bits and pads with zeros:
  // 8 bits 10100101 -> 10100 10100 (index 20, 20); 4 bits 1010 -> 10100.
  EXPECT_EQ(render_sas(b, 8), "ww");
  EXPECT_EQ(render_sas(b, 4), "w");
  EXPECT_EQ(render_sas({0xA7, 0, 0}, 8), "wh");  // 10100 111(00): index 20, 28
  EXPECT_EQ(render_sas({0xA7, 0, 0}, 6), "wo");  // 10100 1(0000): index 20, 16
}

TEST_F(ContextualTrust, SasComparesOnlyItsBits) {
  // Equal in the leftmost 8 bits, different after: a 2-character SAS cannot tell them apart.
  const std::vector<std::uint8_t> a{0x5A, 0x00, 0x00, 0x00}, b{0x5A, 0xFF, 0xFF, 0xFF};
  for (const auto& [bits, equal] : {std::pair{"8", true}, std::pair{"20", false}}) {
    MainLoop loop;
    OutOfBand oob(loop, 7, 0);
    TrustContext ca{"alice", "bob", {{"miss-rate", "0"}, {"bits", bits}}, &oob, nullptr, nullptr, {}, nullptr};
    TrustContext cb{"bob", "alice", {{"miss-rate", "0"}, {"bits", bits}}, &oob, nullptr, nullptr, {}, nullptr};
    auto pa = make_trust_policy({"sas"}, ca);
    auto pb = make_trust_policy({"sas"}, cb);
    std::optional<TrustVerdict> va, vb;
    pa->after_handshake([&] { return a; }, [&](TrustVerdict v) { va = std::move(v); });
    pb->after_handshake([&] { return b; }, [&](TrustVerdict v) { vb = std::move(v); });
    loop.run_until([&] { return va && vb; }, Clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(va && vb) << bits;
    EXPECT_EQ(va->accept, equal) << bits << ": " << va->detail;
    EXPECT_EQ(vb->accept, equal) << bits << ": " << vb->detail;
    EXPECT_EQ(va->alarms, equal ? Alarms{} : Alarms{alarm::kSasMismatch}) << bits;
  }
}

TEST_F(ContextualTrust, SasAcceptsTheCertificateAndHoldsTheDataForTheComparison) {
  auto p = policy("sas", alice());
  const auto v = check(*p, {}, {}, *mallory_);
  EXPECT_TRUE(v.accept);
  EXPECT_TRUE(v.alarms.empty());
  EXPECT_TRUE(p->holds_data());
}

TEST_F(ContextualTrust, SasMatchingStringsAccept) {
  const auto r = compare(kExporterA, kExporterA, "0");
  ASSERT_TRUE(r.alice && r.bob);
  EXPECT_TRUE(r.alice->accept) << r.alice->detail;
  EXPECT_TRUE(r.bob->accept) << r.bob->detail;
  EXPECT_TRUE(r.alice->alarms.empty());
}

TEST_F(ContextualTrust, SasDifferentStringsAreRefusedWhenTheUsersLook) {
  ASSERT_NE(render_sas(kExporterA), render_sas(kExporterB));
  const auto r = compare(kExporterA, kExporterB, "0");
  ASSERT_TRUE(r.alice && r.bob);
  EXPECT_FALSE(r.alice->accept);
  EXPECT_FALSE(r.bob->accept);
  EXPECT_EQ(r.alice->alarms, Alarms{alarm::kSasMismatch});
  EXPECT_EQ(r.bob->alarms, Alarms{alarm::kSasMismatch});
}

TEST_F(ContextualTrust, SasDifferentStringsPassWhenTheUsersDoNotLook) {
  const auto r = compare(kExporterA, kExporterB, "1");
  ASSERT_TRUE(r.alice && r.bob);
  EXPECT_TRUE(r.alice->accept) << r.alice->detail;
  EXPECT_TRUE(r.alice->alarms.empty());
  EXPECT_NE(r.alice->detail.find("did not notice"), std::string::npos) << r.alice->detail;
}

TEST_F(ContextualTrust, SasGivesUpWithoutAlarmWhenTheOtherUserNeverCompares) {
  const auto r = compare(kExporterA, kExporterA, "0", /*bob_present=*/false);
  ASSERT_TRUE(r.alice);
  EXPECT_FALSE(r.alice->accept);
  EXPECT_TRUE(r.alice->alarms.empty());
}

TEST_F(ContextualTrust, SasRefusesWithoutAnOutOfBandChannel) {
  std::optional<TrustVerdict> v;
  policy("sas", alice())->after_handshake([] { return kExporterA; }, [&](TrustVerdict x) { v = std::move(x); });
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->accept);
  EXPECT_EQ(v->alarms, Alarms{alarm::kSasMismatch});
}

// ----- identity and identity-optional -----------------------------------------

class IdentityTrust : public ContextualTrust {
 protected:
  IdentityProvider idp;
  IdentityProvider other_idp;  // one alice does not trust

  TrustContext alice_with_idp() {
    auto ctx = alice();
    ctx.idp = &idp;
    return ctx;
  }
  // Bob's SDP with an assertion for `user` binding `asserted`, made by `by`.
  static sdp::Session asserted_sdp(const IdentityProvider& by, const std::string& user,
                                   const std::vector<sdp::Fingerprint>& asserted) {
    sdp::Session s;
    s.attributes.push_back({"identity", by.assert_identity(user, asserted)});
    return s;
  }
};

TEST_F(IdentityTrust, AssertionMadeByThePeersPolicyIsAccepted) {
  for (const char* name : {"identity", "identity-optional"}) {
    auto bctx = bob();
    bctx.idp = &idp;
    const auto bobs = policy(name, bctx);
    const auto s = bobs_sdp({sha256(*bob_)}, bobs.get());
    const auto v = check(*policy(name, alice_with_idp()), s, {sha256(*bob_)}, *bob_);
    EXPECT_TRUE(v.accept) << name << ": " << v.detail;
    EXPECT_TRUE(v.alarms.empty()) << name;
  }
}

TEST_F(IdentityTrust, MissingAssertionIsRefusedByIdentity) {
  const auto v = check(*policy("identity", alice_with_idp()), {}, {sha256(*bob_)}, *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityMissing});
}

TEST_F(IdentityTrust, MissingAssertionFallsBackToRfc8122UnderIdentityOptional) {
  const auto ok = check(*policy("identity-optional", alice_with_idp()), {}, {sha256(*bob_)}, *bob_);
  EXPECT_TRUE(ok.accept) << ok.detail;
  const auto bad = check(*policy("identity-optional", alice_with_idp()), {}, {sha256(*bob_)}, *mallory_);
  EXPECT_FALSE(bad.accept);
  EXPECT_EQ(alarms(bad), Alarms{alarm::kFingerprintMismatch});
}

TEST_F(IdentityTrust, AssertionOfAnUntrustedIdpIsInvalid) {
  for (const char* name : {"identity", "identity-optional"}) {
    const auto s = asserted_sdp(other_idp, "bob", {sha256(*bob_)});
    const auto v = check(*policy(name, alice_with_idp()), s, {sha256(*bob_)}, *bob_);
    EXPECT_FALSE(v.accept) << name;
    EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityInvalid}) << name;
  }
}

TEST_F(IdentityTrust, UnreadableAssertionIsInvalid) {
  for (const char* value : {"not base64 at all!", "bm90IGpzb24=" /* "not json" */}) {
    sdp::Session s;
    s.attributes.push_back({"identity", std::string(value)});
    const auto v = check(*policy("identity-optional", alice_with_idp()), s, {sha256(*bob_)}, *bob_);
    EXPECT_FALSE(v.accept) << value;
    EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityInvalid}) << value;
  }
}

TEST_F(IdentityTrust, AssertionWithoutATrustedIdpIsInvalid) {
  const auto s = asserted_sdp(idp, "bob", {sha256(*bob_)});
  const auto v = check(*policy("identity", alice()), s, {sha256(*bob_)}, *bob_);  // alice trusts no IdP
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityInvalid});
}

TEST_F(IdentityTrust, AssertionNamingAnotherIdentityIsAMismatch) {
  // The attacker holds a genuine assertion from the same IdP, for itself.
  const auto s = asserted_sdp(idp, "mallory", {sha256(*mallory_)});
  const auto v = check(*policy("identity", alice_with_idp()), s, {sha256(*mallory_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityMismatch});
  EXPECT_NE(v.detail.find("mallory@"), std::string::npos) << v.detail;
}

TEST_F(IdentityTrust, SdpFingerprintMissingFromTheAssertionIsAMismatch) {
  // swap-mitm against identity: bob's assertion, the attacker's fingerprint.
  const auto s = asserted_sdp(idp, "bob", {sha256(*bob_)});
  const auto v = check(*policy("identity", alice_with_idp()), s, {sha256(*mallory_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityMismatch});
}

TEST_F(IdentityTrust, AssertionNamingMoreFingerprintsThanTheSdpIsAMismatch) {
  // RFC 8827 §7.4: the assertion binds exactly the SDP's fingerprints; one it
  // names that the SDP lacks means it was made for another description.
  const auto s = asserted_sdp(idp, "bob", {sha256(*bob_), sha256(*mallory_)});
  const auto v = check(*policy("identity", alice_with_idp()), s, {sha256(*bob_)}, *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kIdentityMismatch});
  EXPECT_NE(v.detail.find("which the SDP does not carry"), std::string::npos) << v.detail;
}

TEST_F(IdentityTrust, SameFingerprintSetInAnotherOrderAndCaseIsAccepted) {
  auto lower = sha256(*bob_);
  std::transform(lower.value.begin(), lower.value.end(), lower.value.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto sha1 = *bob_->fingerprint("sha-1");
  const auto s = asserted_sdp(idp, "bob", {sha1, lower});
  const auto v = check(*policy("identity", alice_with_idp()), s, {sha256(*bob_), sha1}, *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
}

TEST_F(IdentityTrust, ValidAssertionButAnotherCertificateFailsTheFingerprintCheck) {
  const auto s = asserted_sdp(idp, "bob", {sha256(*bob_)});
  const auto v = check(*policy("identity", alice_with_idp()), s, {sha256(*bob_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kFingerprintMismatch});
}

// ----- pinned-key ---------------------------------------------------------------

class PinnedKeyTrust : public ContextualTrust {
 protected:
  SigningKey bob_key, mallory_key;

  TrustContext alice_pinning(const PublicKey* pinned_bob) {
    auto ctx = alice();
    ctx.pinned_key = [pinned_bob](const std::string& who) { return who == "bob" ? pinned_bob : nullptr; };
    return ctx;
  }
  // The SDP bob's pinned-key policy sends for `fps`, signed with `key`.
  static sdp::Session signed_sdp(const SigningKey& key, const std::vector<sdp::Fingerprint>& fps) {
    auto ctx = bob();
    ctx.own_key = &key;
    return bobs_sdp(fps, policy("pinned-key", ctx).get());
  }
};

TEST_F(PinnedKeyTrust, FingerprintsSignedWithThePinnedKeyAreAccepted) {
  const auto s = signed_sdp(bob_key, {sha256(*bob_)});
  const auto v = check(*policy("pinned-key", alice_pinning(&bob_key.public_key())), s, {sha256(*bob_)}, *bob_);
  EXPECT_TRUE(v.accept) << v.detail;
  EXPECT_TRUE(v.alarms.empty());
}

TEST_F(PinnedKeyTrust, NoPinnedKeyForTheIntendedPeerIsRefused) {
  const auto s = signed_sdp(bob_key, {sha256(*bob_)});
  for (auto ctx : {alice_pinning(nullptr), alice()}) {  // a lookup that finds nothing; no lookup at all
    const auto v = check(*policy("pinned-key", ctx), s, {sha256(*bob_)}, *bob_);
    EXPECT_FALSE(v.accept);
    EXPECT_EQ(alarms(v), Alarms{alarm::kPinnedKeyMissing});
  }
}

TEST_F(PinnedKeyTrust, MissingSignatureIsRefused) {
  const auto v = check(*policy("pinned-key", alice_pinning(&bob_key.public_key())), {}, {sha256(*bob_)}, *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kPinnedKeyMissing});
}

TEST_F(PinnedKeyTrust, SignatureByAnotherKeyIsAMismatch) {
  const auto s = signed_sdp(mallory_key, {sha256(*mallory_)});
  const auto v = check(*policy("pinned-key", alice_pinning(&bob_key.public_key())), s, {sha256(*mallory_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kPinnedKeyMismatch});
}

TEST_F(PinnedKeyTrust, FingerprintsChangedAfterSigningAreAMismatch) {
  // Bob's genuine signature, the attacker's fingerprint in the SDP.
  const auto s = signed_sdp(bob_key, {sha256(*bob_)});
  const auto v = check(*policy("pinned-key", alice_pinning(&bob_key.public_key())), s, {sha256(*mallory_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kPinnedKeyMismatch});
}

TEST_F(PinnedKeyTrust, GarbageSignatureIsAMismatch) {
  sdp::Session s;
  s.attributes.push_back({kSignatureAttribute, std::string("AAAA")});
  const auto v = check(*policy("pinned-key", alice_pinning(&bob_key.public_key())), s, {sha256(*bob_)}, *bob_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kPinnedKeyMismatch});
}

TEST_F(PinnedKeyTrust, SignedFingerprintsButAnotherCertificateFailsTheFingerprintCheck) {
  const auto s = signed_sdp(bob_key, {sha256(*bob_)});
  const auto v = check(*policy("pinned-key", alice_pinning(&bob_key.public_key())), s, {sha256(*bob_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kFingerprintMismatch});
}

// ----- tofu -----------------------------------------------------------------------

TEST_F(ContextualTrust, TofuPinsOnFirstContactAndAcceptsTheSameCertificateLater) {
  TofuStore store;
  auto ctx = alice();
  ctx.tofu = &store;
  const auto p = policy("tofu", ctx);
  const auto first = check(*p, {}, {sha256(*bob_)}, *bob_);
  EXPECT_TRUE(first.accept) << first.detail;
  EXPECT_EQ(store.at("bob"), bob_->fingerprint());
  const auto again = check(*p, {}, {sha256(*bob_)}, *bob_);
  EXPECT_TRUE(again.accept) << again.detail;
  EXPECT_TRUE(again.alarms.empty());
}

TEST_F(ContextualTrust, TofuRefusesAChangedCertificate) {
  TofuStore store{{"bob", bob_->fingerprint()}};
  auto ctx = alice();
  ctx.tofu = &store;
  // The attacker's certificate matches the SDP it rewrote, but not the pin.
  const auto v = check(*policy("tofu", ctx), {}, {sha256(*mallory_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kTofuKeyChanged});
  EXPECT_EQ(store.at("bob"), bob_->fingerprint()) << "a refused certificate does not replace the pin";
}

TEST_F(ContextualTrust, TofuChecksTheSdpFingerprintBeforeContinuity) {
  TofuStore store;
  auto ctx = alice();
  ctx.tofu = &store;
  const auto v = check(*policy("tofu", ctx), {}, {sha256(*bob_)}, *mallory_);
  EXPECT_FALSE(v.accept);
  EXPECT_EQ(alarms(v), Alarms{alarm::kFingerprintMismatch});
  EXPECT_TRUE(store.empty()) << "nothing is pinned from a refused first contact";
}

TEST_F(ContextualTrust, TofuWithoutAStoreIsTheRfc8122Check) {
  const auto p = policy("tofu", alice());
  EXPECT_TRUE(check(*p, {}, {sha256(*bob_)}, *bob_).accept);
  EXPECT_EQ(alarms(check(*p, {}, {sha256(*bob_)}, *mallory_)), Alarms{alarm::kFingerprintMismatch});
}

}  // namespace
}  // namespace sigtrust
