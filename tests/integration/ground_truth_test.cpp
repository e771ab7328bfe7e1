// The ground truth cannot be written by the adversary (issue 16): the engine
// binds every certificate to its owner, the registry refuses to rebind a
// fingerprint, and the classifier fails closed. Hostile plug-ins try both
// ways of lying about whose certificate is whose; each run ends `error`.
#include <gtest/gtest.h>

#include "attacks/mitm_bridge.hpp"
#include "run_helpers.hpp"
#include "net/certificate.hpp"

namespace sigtrust {
namespace {

using testing::has_event;
using testing::load_yaml;
using testing::two_peer_yaml;

// The real swap-mitm bridge, built on a world the plug-in controls.
struct HostileBridge : Attack {
  HostileBridge(AttackWorld& w, std::function<void(AttackWorld&)> tamper) : world(w) {
    tamper(world);
    bridge = std::make_unique<attacks::MitmBridge>(world, attacks::BridgeOptions{});
  }
  SignalingInterceptor* signaling() override { return bridge.get(); }
  AttackWorld world;  // a copy, so that the plug-in may change what it hands the bridge
  std::unique_ptr<attacks::MitmBridge> bridge;
};

RunResult run_with(const std::string& yaml, CertificateStore& store, std::function<void(AttackWorld&)> tamper) {
  EngineOptions o;
  o.certificates = &store;
  o.make_attack = [tamper](const std::string&, AttackWorld& w) -> std::unique_ptr<Attack> {
    return std::make_unique<HostileBridge>(w, tamper);
  };
  return run_scenario(load_yaml(yaml), o);
}

TEST(GroundTruth, RegistryRefusesToRebindAFingerprint) {
  CertificateRegistry registry;
  const sdp::Fingerprint aa{"sha-256", "AA"}, bb{"sha-256", "BB"};
  EXPECT_TRUE(registry.add(aa, "mallory"));
  EXPECT_TRUE(registry.add(aa, "mallory")) << "binding again to the same owner is harmless";
  EXPECT_TRUE(registry.refusals().empty());
  EXPECT_FALSE(registry.add(aa, "bob"));
  EXPECT_FALSE(registry.add(sdp::Fingerprint{"SHA-256", "aa"}, "bob")) << "the same fingerprint in other case";
  EXPECT_EQ(registry.owner(aa), "mallory");
  ASSERT_EQ(registry.refusals().size(), 2u);
  EXPECT_NE(registry.refusals()[0].find("mallory"), std::string::npos);
  EXPECT_NE(registry.refusals()[0].find("bob"), std::string::npos);
  EXPECT_NE(registry.refusals()[0].find("sha-256 AA"), std::string::npos);
  EXPECT_EQ(registry.owner(bb), kUnregisteredOwner);
  EXPECT_EQ(registry.owner(std::nullopt), "") << "no certificate seen, no owner";
}

// The clean half of the pair: the same plug-in, tampering with nothing, is an
// ordinary swap-mitm the peers do not notice.
TEST(GroundTruth, HonestlyRegisteredBridgeIsAnUndetectedMitm) {
  CertificateStore store;
  const auto r =
      run_with(two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected"), store, [](AttackWorld&) {});
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::MitmUndetected);
  EXPECT_EQ(r.sessions[0].offerer_result.dtls_peer_owner, "mallory");
  EXPECT_EQ(r.sessions[0].answerer_result.dtls_peer_owner, "mallory");
}

// A plug-in that claims a victim's certificate as one it presents: the
// engine would bind bob's fingerprint to the attacker, which the registry
// refuses; the run is a simulator failure, not a verdict.
TEST(GroundTruth, HostilePluginClaimingAVictimsCertificateIsRefusedAndTheRunEndsError) {
  CertificateStore store;
  const Certificate& bob = store.get("bob");
  const auto r = run_with(two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected"), store,
                          [&bob](AttackWorld& w) { w.present_certificate(bob); });
  EXPECT_NE(r.error.find("ground truth refused"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("bob"), std::string::npos) << r.error;
  EXPECT_TRUE(has_event(r, "run.error"));
  ASSERT_EQ(r.sessions.size(), 1u);
  EXPECT_EQ(r.sessions[0].outcome, Outcome::Error);
  EXPECT_FALSE(r.sessions[0].pass);
}

// A plug-in that hides the certificate it bridges with from the ground truth:
// both victims reach the data phase with a certificate no node registered,
// and the classifier fails closed.
TEST(GroundTruth, HostilePluginHidingItsCertificateEndsError) {
  CertificateStore store;
  const auto r = run_with(two_peer_yaml("sdp-fingerprint", "{attack: swap-mitm}", "mitm-undetected"), store,
                          [](AttackWorld& w) { w.present_certificate = [](const Certificate&) {}; });
  EXPECT_NE(r.error.find("a certificate no node registered"), std::string::npos) << r.error;
  EXPECT_TRUE(has_event(r, "run.error"));
  ASSERT_EQ(r.sessions.size(), 1u);
  const auto& s = r.sessions[0];
  EXPECT_EQ(s.offerer_result.dtls_peer_owner, kUnregisteredOwner);
  EXPECT_EQ(s.answerer_result.dtls_peer_owner, kUnregisteredOwner);
  EXPECT_TRUE(s.offerer_result.report.entered_data_phase);
  EXPECT_EQ(s.outcome, Outcome::Error);
  EXPECT_FALSE(s.pass);
}

}  // namespace
}  // namespace sigtrust
