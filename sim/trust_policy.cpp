#include "sim/trust_policy.hpp"

#include <algorithm>
#include <cctype>

#include "sim/certificate.hpp"

namespace sigtrust {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Preference among hash functions, strongest first; RFC 8122 §5 makes the
// receiver use the most preferred one it supports.
int hash_rank(const std::string& hash) {
  static const char* order[] = {"sha-512", "sha-384", "sha-256", "sha-224", "sha-1", "md5", "md2"};
  for (int i = 0; i < 7; ++i)
    if (lower(hash) == order[i]) return i;
  return 100;
}

bool weak(const std::string& hash) { return lower(hash) == "md5" || lower(hash) == "md2"; }

std::string short_fp(const std::string& v) { return v.size() > 23 ? v.substr(0, 23) + "…" : v; }

// RFC 8122 §5 as written: the certificate must match a fingerprint computed
// with the most preferred hash function listed.
TrustVerdict check_rfc8122(const TrustCheck& c) {
  if (c.remote.fingerprints.empty())
    return {false, {alarm::kFingerprintMissing}, "the remote SDP carries no a=fingerprint; refused"};
  const auto best = std::min_element(c.remote.fingerprints.begin(), c.remote.fingerprints.end(),
                                     [](const auto& a, const auto& b) { return hash_rank(a.hash) < hash_rank(b.hash); });
  // RFC 8122 §5: MD2 and MD5 MUST NOT be used.
  if (weak(best->hash))
    return {false, {alarm::kWeakHash}, "the only fingerprints use " + best->hash + ", which RFC 8122 forbids; refused"};
  auto mine = fingerprint_of(c.peer_der, best->hash);
  if (!mine) return {false, {alarm::kUnsupportedHash}, mine.error().message + "; refused"};
  for (const auto& fp : c.remote.fingerprints)
    if (lower(fp.hash) == lower(best->hash) && same_fingerprint(fp, *mine))
      return {true, {}, "certificate matches the SDP fingerprint (" + best->hash + ")"};
  return {false, {alarm::kFingerprintMismatch},
          "certificate " + best->hash + " " + short_fp(mine->value) + " matches no " + best->hash +
              " fingerprint in the SDP; refused"};
}

// Accepts when any listed fingerprint, under any hash it can compute, matches.
TrustVerdict check_any(const TrustCheck& c) {
  if (c.remote.fingerprints.empty())
    return {false, {alarm::kFingerprintMissing}, "the remote SDP carries no a=fingerprint; refused"};
  for (const auto& fp : c.remote.fingerprints) {
    auto mine = fingerprint_of(c.peer_der, fp.hash);
    if (mine && same_fingerprint(fp, *mine)) return {true, {}, "certificate matches a listed fingerprint (" + fp.hash + ")"};
  }
  return {false, {alarm::kFingerprintMismatch}, "certificate matches none of the listed fingerprints; refused"};
}

struct Named : TrustPolicy {
  using Fn = TrustVerdict (*)(const TrustCheck&);
  Named(std::string n, Fn f) : name_(std::move(n)), fn_(f) {}
  const std::string& name() const override { return name_; }
  TrustVerdict check_certificate(const TrustCheck& c) const override { return fn_(c); }
  std::string name_;
  Fn fn_;
};

struct Policy {
  TrustDecl decl;
  Named::Fn fn;
};

const std::vector<Policy>& policies() {
  static const std::vector<Policy> all = {
      {{"no-verification", "accepts any DTLS certificate"},
       [](const TrustCheck&) { return TrustVerdict{true, {}, "no verification configured; accepted"}; }},
      {{"sdp-fingerprint",
        "RFC 8122 §5: certificate must match a fingerprint of the most-preferred hash in the SDP; MD2/MD5 and a "
        "missing fingerprint refused"},
       &check_rfc8122},
      {{"sdp-fingerprint-any", "accepts if any listed fingerprint matches, under any hash"}, &check_any},
      {{"self-compare-bug", "compares the SDP fingerprint with itself, so always passes (real bug class)"},
       [](const TrustCheck& c) {
         // The bug: the "expected" and "actual" values both come from the SDP.
         if (c.remote.fingerprints.empty())
           return TrustVerdict{false, {alarm::kFingerprintMissing}, "no a=fingerprint in the SDP; refused"};
         return TrustVerdict{true, {}, "SDP fingerprint compared with itself; accepted"};
       }},
      {{"client-skip-bug", "skips the fingerprint check when it is the DTLS client (real bug class)"},
       [](const TrustCheck& c) {
         if (c.role == DtlsRole::Client) return TrustVerdict{true, {}, "DTLS client: check skipped; accepted"};
         return check_rfc8122(c);
       }},
      {{"log-only-bug", "logs a fingerprint mismatch and carries on (real bug class)"},
       [](const TrustCheck& c) {
         auto v = check_rfc8122(c);
         if (!v.accept) {
           v.accept = true;
           v.detail += " — logged only, carrying on";
         }
         return v;
       }},
      {{"missing-accepted-bug", "checks a fingerprint if there is one, accepts a missing one (real bug class)"},
       [](const TrustCheck& c) {
         if (c.remote.fingerprints.empty()) return TrustVerdict{true, {}, "no a=fingerprint in the SDP; accepted"};
         return check_rfc8122(c);
       }},
  };
  return all;
}

struct Combined : TrustPolicy {
  std::string name_;
  std::vector<std::unique_ptr<TrustPolicy>> parts;
  const std::string& name() const override { return name_; }
  TrustVerdict check_certificate(const TrustCheck& c) const override {
    TrustVerdict out;
    for (const auto& p : parts) {
      auto v = p->check_certificate(c);
      out.accept = out.accept && v.accept;
      for (auto& a : v.alarms)
        if (std::find(out.alarms.begin(), out.alarms.end(), a) == out.alarms.end()) out.alarms.push_back(a);
      out.detail += (out.detail.empty() ? "" : "; ") + p->name() + ": " + v.detail;
    }
    return out;
  }
};

}  // namespace

const std::vector<TrustDecl>& trust_configurations() {
  static const std::vector<TrustDecl> decls = [] {
    std::vector<TrustDecl> v;
    for (const auto& p : policies()) v.push_back(p.decl);
    return v;
  }();
  return decls;
}

std::unique_ptr<TrustPolicy> make_trust_policy(const std::vector<std::string>& names) {
  auto combined = std::make_unique<Combined>();
  for (const auto& n : names) {
    auto it = std::find_if(policies().begin(), policies().end(), [&](const Policy& p) { return p.decl.name == n; });
    if (it == policies().end()) return nullptr;
    combined->parts.push_back(std::make_unique<Named>(n, it->fn));
    combined->name_ += (combined->name_.empty() ? "" : "+") + n;
  }
  if (combined->parts.empty()) return nullptr;
  return combined;
}

}  // namespace sigtrust
