#include "trust/trust_policy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "net/certificate.hpp"

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

// A fingerprint as an alarm's detail shows it: its text, cut short.
std::string short_fp(const sdp::Fingerprint& fp) { return short_fp(sdp::format_fingerprint(fp)); }

TrustVerdict accept(std::string detail) { return {true, {}, std::move(detail)}; }
TrustVerdict refuse(const char* alarm, std::string detail) { return {false, {alarm}, std::move(detail) + "; refused"}; }

// RFC 8122 §5 as written: the certificate must match a fingerprint computed
// with the most preferred hash function listed.
TrustVerdict check_rfc8122(const TrustCheck& c) {
  if (c.remote.fingerprints.empty())
    return refuse(alarm::kFingerprintMissing, "the remote SDP carries no a=fingerprint");
  const auto best =
      std::min_element(c.remote.fingerprints.begin(), c.remote.fingerprints.end(),
                       [](const auto& a, const auto& b) { return hash_rank(a.hash) < hash_rank(b.hash); });
  // RFC 8122 §5: MD2 and MD5 MUST NOT be used.
  if (weak(best->hash))
    return refuse(alarm::kWeakHash, "the only fingerprints use " + best->hash + ", which RFC 8122 forbids");
  auto mine = fingerprint_of(c.peer_der, best->hash);
  if (!mine) return refuse(alarm::kUnsupportedHash, mine.error().message);
  for (const auto& fp : c.remote.fingerprints)
    if (fp == *mine) return accept("certificate matches the SDP fingerprint (" + best->hash + ")");
  return refuse(alarm::kFingerprintMismatch, "certificate " + best->hash + " " + short_fp(mine->value) +
                                                 " matches no " + best->hash + " fingerprint in the SDP");
}

// Accepts when any listed fingerprint, under any hash it can compute, matches.
TrustVerdict check_any(const TrustCheck& c) {
  if (c.remote.fingerprints.empty())
    return refuse(alarm::kFingerprintMissing, "the remote SDP carries no a=fingerprint");
  for (const auto& fp : c.remote.fingerprints) {
    auto mine = fingerprint_of(c.peer_der, fp.hash);
    if (mine && fp == *mine) return accept("certificate matches a listed fingerprint (" + fp.hash + ")");
  }
  return refuse(alarm::kFingerprintMismatch, "certificate matches none of the listed fingerprints");
}

// Accepts when the certificate's sha-256 fingerprint equals any sha-256 line;
// lines under any other hash are never read (a stack that computes only
// sha-256: aiortc 1.4.0, docs/interop.md).
TrustVerdict check_sha256(const TrustCheck& c) {
  if (c.remote.fingerprints.empty())
    return refuse(alarm::kFingerprintMissing, "the remote SDP carries no a=fingerprint");
  auto mine = fingerprint_of(c.peer_der, "sha-256");
  if (!mine) return refuse(alarm::kUnsupportedHash, mine.error().message);
  for (const auto& fp : c.remote.fingerprints)
    if (fp == *mine) return accept("certificate matches a sha-256 a=fingerprint line");
  return refuse(alarm::kFingerprintMismatch, "certificate sha-256 " + short_fp(mine->value) +
                                                 " matches no sha-256 a=fingerprint line (other hashes are not read)");
}

// Checks the certificate against one a=fingerprint line only, under that
// line's hash: a stack that keeps a single fingerprint per description (the
// first it parsed, or the last because each line overwrote the one before)
// and ignores the rest. Real stacks do both; an attacker who adds a line puts
// it where the victim's stack will look.
TrustVerdict check_one_line(const TrustCheck& c, bool first) {
  if (c.remote.fingerprints.empty())
    return refuse(alarm::kFingerprintMissing, "the remote SDP carries no a=fingerprint");
  const auto& line = first ? c.remote.fingerprints.front() : c.remote.fingerprints.back();
  const std::string which = first ? "the first" : "the last";
  auto mine = fingerprint_of(c.peer_der, line.hash);
  if (!mine) return refuse(alarm::kUnsupportedHash, mine.error().message);
  if (line == *mine) return accept("certificate matches " + which + " a=fingerprint line (" + line.hash + ")");
  return refuse(alarm::kFingerprintMismatch, "certificate " + line.hash + " " + short_fp(mine->value) +
                                                 " does not match " + which + " a=fingerprint line");
}

// libdatachannel's check, as measured (docs/interop.md): one line, and which
// one depends on where the lines are: of session-level lines the first, of a
// media section's the last. (Where the description has both, the media
// section's count, as in sdp::transport_info.)
TrustVerdict check_by_level(const TrustCheck& c) {
  const bool media_level = !c.remote_sdp.media.empty() && !sdp::find_all(c.remote_sdp, 0, "fingerprint").empty();
  return check_one_line(c, !media_level);
}

// A policy that is a pure function of the check.
class Simple : public TrustPolicy {
 public:
  using Fn = TrustVerdict (*)(const TrustCheck&);
  Simple(std::string n, Fn f) : name_(std::move(n)), fn_(f) {}
  const std::string& name() const override { return name_; }
  TrustVerdict check_certificate(const TrustCheck& c) const override { return fn_(c); }

 private:
  std::string name_;
  Fn fn_;
};

// libdatachannel's whole behaviour: it also writes its own a=fingerprint at
// session level, which decides the line it reads in a description the
// attacker built from its own (an added line goes where the sender's was).
class ByLevel final : public Simple {
 public:
  ByLevel() : Simple("sdp-fingerprint-by-level", &check_by_level) {}
  void decorate(sdp::Session& s, const std::vector<sdp::Fingerprint>& own) const override {
    for (int level = -1; level < static_cast<int>(s.media.size()); ++level) sdp::remove_all(s, level, "fingerprint");
    for (const auto& fp : own) s.attributes.push_back(sdp::Attribute{"fingerprint", sdp::format_fingerprint(fp)});
  }
};

// A policy that consults the peer's context.
class Contextual : public TrustPolicy {
 public:
  Contextual(std::string n, TrustContext ctx) : name_(std::move(n)), ctx_(std::move(ctx)) {}
  const std::string& name() const override { return name_; }

 protected:
  std::string name_;
  TrustContext ctx_;
};

// oob-fingerprint: the certificate must be the one the users exchanged out of band.
class OobFingerprint : public Contextual {
 public:
  using Contextual::Contextual;
  TrustVerdict check_certificate(const TrustCheck& c) const override {
    const auto expected = ctx_.oob ? ctx_.oob->fingerprint_of(ctx_.intended) : std::nullopt;
    if (!expected) return refuse(alarm::kOobMismatch, "no fingerprint of " + ctx_.intended + " learned out of band");
    const auto seen = fingerprint_of(c.peer_der, expected->hash);
    if (!seen) return refuse(alarm::kUnsupportedHash, seen.error().message);
    if (*seen == *expected) return accept("certificate is the one " + ctx_.intended + " showed out of band");
    return refuse(alarm::kOobMismatch, "certificate " + short_fp(*seen) + " is not the " + short_fp(*expected) + " " +
                                           ctx_.intended + " showed out of band");
  }
};

// sas: after the handshake, both users read a short authentication string
// derived from their own DTLS session (RFC 5705 exporter) and compare it out
// of band before any data flows. Through a bridge the two sessions differ,
// and so do the strings.
class Sas : public Contextual {
 public:
  using Contextual::Contextual;
  TrustVerdict check_certificate(const TrustCheck&) const override {
    return accept("certificate accepted pending the SAS comparison");
  }
  bool holds_data() const override { return true; }
  void after_handshake(const std::function<std::vector<std::uint8_t>()>& exporter,
                       std::function<void(TrustVerdict)> done) const override {
    if (!ctx_.oob) return done(refuse(alarm::kSasMismatch, "no out-of-band channel to compare the SAS over"));
    const auto bits = static_cast<unsigned>(
        std::strtoul(ctx_.params.count("bits") ? ctx_.params.at("bits").c_str() : "20", nullptr, 10));
    const std::string sas = render_sas(exporter(), bits);
    const double miss =
        std::strtod(ctx_.params.count("miss-rate") ? ctx_.params.at("miss-rate").c_str() : "0", nullptr);
    ctx_.oob->compare_sas(ctx_.self, sas, miss, [done = std::move(done)](const SasComparison& c) {
      using R = SasComparison::Result;
      switch (c.result) {
        case R::Match: return done(accept("SAS " + c.mine + " matches the other user's " + c.theirs));
        case R::MismatchMissed:
          return done(accept("SAS " + c.mine + " differs from the other user's " + c.theirs +
                             ", but the users did not notice"));
        case R::MismatchNoticed:
          return done(refuse(alarm::kSasMismatch, "SAS " + c.mine + " differs from the other user's " + c.theirs));
        case R::OtherAbsent:
          return done(TrustVerdict{false, {}, "the other user never reached the SAS comparison; gave up"});
      }
    });
  }
};

// identity / identity-optional: RFC 8827 identity assertions signed by a
// trusted IdP bind the peer's identity to its fingerprints; the RFC 8122
// check then ties the certificate to those fingerprints.
class Identity : public Contextual {
 public:
  Identity(std::string n, TrustContext ctx, bool required)
      : Contextual(std::move(n), std::move(ctx)), required_(required) {}
  void decorate(sdp::Session& s, const std::vector<sdp::Fingerprint>& own) const override {
    if (ctx_.idp) s.attributes.push_back({"identity", ctx_.idp->assert_identity(ctx_.self, own)});
  }
  TrustVerdict check_certificate(const TrustCheck& c) const override {
    auto attrs = sdp::find_all(c.remote_sdp, -1, "identity");
    if (attrs.empty() && !c.remote_sdp.media.empty()) attrs = sdp::find_all(c.remote_sdp, 0, "identity");
    if (attrs.empty() || !attrs.front()->value) {
      if (required_) return refuse(alarm::kIdentityMissing, "the remote SDP carries no a=identity");
      auto v = check_rfc8122(c);
      v.detail = "no a=identity (optional); " + v.detail;
      return v;
    }
    if (!ctx_.idp) return refuse(alarm::kIdentityInvalid, "no trusted identity provider");
    auto assertion = verify_identity(*attrs.front()->value, ctx_.idp->public_key());
    if (!assertion) return refuse(alarm::kIdentityInvalid, assertion.error().message);
    if (assertion->identity != identity_of(ctx_.intended))
      return refuse(alarm::kIdentityMismatch,
                    "the assertion names " + assertion->identity + ", not " + identity_of(ctx_.intended));
    // RFC 8827 §7.4: the assertion binds the identity to the fingerprints of
    // this SDP, so the two sets must be equal: an SDP fingerprint the
    // assertion does not name, or an asserted one the SDP does not carry
    // (an assertion made for another description), is refused.
    auto contains = [](const std::vector<sdp::Fingerprint>& set, const sdp::Fingerprint& fp) {
      return std::find(set.begin(), set.end(), fp) != set.end();
    };
    for (const auto& fp : c.remote.fingerprints)
      if (!contains(assertion->fingerprints, fp))
        return refuse(alarm::kIdentityMismatch,
                      "SDP fingerprint " + short_fp(fp.value) + " is not in " + assertion->identity + "'s assertion");
    for (const auto& fp : assertion->fingerprints)
      if (!contains(c.remote.fingerprints, fp))
        return refuse(alarm::kIdentityMismatch, assertion->identity + "'s assertion names " + fp.hash + " " +
                                                    short_fp(fp.value) + ", which the SDP does not carry");
    auto v = check_rfc8122(c);
    if (v.accept) v.detail = "assertion for " + assertion->identity + " verified; " + v.detail;
    return v;
  }

 private:
  bool required_;
};

std::string signed_text(const std::string& signer, const std::vector<sdp::Fingerprint>& fps) {
  std::string text = "sigtrust pinned-key v1\n" + signer + "\n";
  for (const auto& f : fps) text += lower(f.hash) + " " + lower(f.value) + "\n";
  return text;
}

// pinned-key: the fingerprints are signed with a long-term key the peers
// pinned beforehand (the co-signers' keys of a multisig wallet).
class PinnedKey : public Contextual {
 public:
  using Contextual::Contextual;
  void decorate(sdp::Session& s, const std::vector<sdp::Fingerprint>& own) const override {
    if (ctx_.own_key)
      s.attributes.push_back({kSignatureAttribute, base64_encode(ctx_.own_key->sign(signed_text(ctx_.self, own)))});
  }
  TrustVerdict check_certificate(const TrustCheck& c) const override {
    const PublicKey* pinned = ctx_.pinned_key ? ctx_.pinned_key(ctx_.intended) : nullptr;
    if (!pinned) return refuse(alarm::kPinnedKeyMissing, "no pinned key for " + ctx_.intended);
    auto attrs = sdp::find_all(c.remote_sdp, -1, kSignatureAttribute);
    if (attrs.empty() || !attrs.front()->value)
      return refuse(alarm::kPinnedKeyMissing, "the remote SDP carries no fingerprint signature");
    if (!pinned->verify(signed_text(ctx_.intended, c.remote.fingerprints), base64_decode(*attrs.front()->value)))
      return refuse(alarm::kPinnedKeyMismatch,
                    "the SDP fingerprints are not signed by " + ctx_.intended + "'s pinned key");
    auto v = check_rfc8122(c);
    if (v.accept) v.detail = "fingerprints signed by " + ctx_.intended + "'s pinned key; " + v.detail;
    return v;
  }
};

// tofu: key continuity. The first session pins the certificate; later ones
// must present the same one.
class Tofu : public Contextual {
 public:
  using Contextual::Contextual;
  TrustVerdict check_certificate(const TrustCheck& c) const override {
    auto v = check_rfc8122(c);
    if (!v.accept || !ctx_.tofu) return v;
    const auto seen = fingerprint_of(c.peer_der, "sha-256");
    if (!seen) return refuse(alarm::kUnsupportedHash, seen.error().message);
    auto it = ctx_.tofu->find(ctx_.intended);
    if (it == ctx_.tofu->end()) {
      ctx_.tofu->emplace(ctx_.intended, *seen);
      return accept(v.detail + "; first contact with " + ctx_.intended + ": certificate pinned");
    }
    if (it->second == *seen) return accept(v.detail + "; same certificate as pinned for " + ctx_.intended);
    return refuse(alarm::kTofuKeyChanged, ctx_.intended + "'s certificate changed from the pinned " +
                                              short_fp(it->second) + " to " + short_fp(*seen));
  }
};

struct Entry {
  TrustDecl decl;
  std::function<std::unique_ptr<TrustPolicy>(const TrustContext&)> make;
};

std::function<std::unique_ptr<TrustPolicy>(const TrustContext&)> simple(const char* name, Simple::Fn fn) {
  return [name, fn](const TrustContext&) { return std::make_unique<Simple>(name, fn); };
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> all = {
      {{"no-verification", "accepts any DTLS certificate", {}, false},
       simple("no-verification", [](const TrustCheck&) { return accept("no verification configured; accepted"); })},
      {{"sdp-fingerprint",
        "RFC 8122 §5: certificate must match a fingerprint of the most-preferred hash in the SDP; MD2/MD5 and a "
        "missing fingerprint refused",
        {},
        false},
       simple("sdp-fingerprint", &check_rfc8122)},
      {{"sdp-fingerprint-any", "accepts if any listed fingerprint matches, under any hash", {}, false},
       simple("sdp-fingerprint-any", &check_any)},
      {{"sdp-fingerprint-first",
        "checks the certificate against the first a=fingerprint line only, under its hash (a real stack's behaviour)",
        {},
        false},
       simple("sdp-fingerprint-first", [](const TrustCheck& c) { return check_one_line(c, true); })},
      {{"sdp-fingerprint-last",
        "checks the certificate against the last a=fingerprint line only, under its hash (a real stack's behaviour)",
        {},
        false},
       simple("sdp-fingerprint-last", [](const TrustCheck& c) { return check_one_line(c, false); })},
      {{"sdp-fingerprint-by-level",
        "writes its own a=fingerprint at session level; checks one line, under its hash: the first of the session "
        "level, the last of a media section (libdatachannel's behaviour)",
        {},
        false},
       [](const TrustContext&) { return std::make_unique<ByLevel>(); }},
      {{"sdp-fingerprint-sha256",
        "accepts if any sha-256 a=fingerprint line matches; lines under other hashes are never read (a real "
        "stack's behaviour)",
        {},
        false},
       simple("sdp-fingerprint-sha256", &check_sha256)},
      {{"self-compare-bug", "compares the SDP fingerprint with itself, so always passes (real bug class)", {}, false},
       simple("self-compare-bug",
              [](const TrustCheck& c) {
                // The bug: the "expected" and the "actual" value both come from the SDP.
                if (c.remote.fingerprints.empty())
                  return refuse(alarm::kFingerprintMissing, "no a=fingerprint in the SDP");
                return accept("SDP fingerprint compared with itself; accepted");
              })},
      {{"client-skip-bug", "skips the fingerprint check when it is the DTLS client (real bug class)", {}, false},
       simple("client-skip-bug",
              [](const TrustCheck& c) {
                if (c.role == DtlsRole::Client) return accept("DTLS client: check skipped; accepted");
                return check_rfc8122(c);
              })},
      {{"log-only-bug", "logs a fingerprint mismatch and carries on (real bug class)", {}, false},
       simple("log-only-bug",
              [](const TrustCheck& c) {
                auto v = check_rfc8122(c);
                if (!v.accept) {
                  v.accept = true;
                  v.detail += " — logged only, carrying on";
                }
                return v;
              })},
      {{"missing-accepted-bug",
        "checks a fingerprint if there is one, accepts a missing one (real bug class)",
        {},
        false},
       simple("missing-accepted-bug",
              [](const TrustCheck& c) {
                if (c.remote.fingerprints.empty()) return accept("no a=fingerprint in the SDP; accepted");
                return check_rfc8122(c);
              })},
      {{"oob-fingerprint",
        "compares the DTLS peer fingerprint with one learned over a channel the attacker does not control",
        {},
        true},
       [](const TrustContext& ctx) { return std::make_unique<OobFingerprint>("oob-fingerprint", ctx); }},
      {{"sas",
        "both users compare a short authentication string derived from the DTLS exporter (RFC 5705) before data",
        {{"miss-rate",
          ParamDecl::Type::Double,
          "0",
          {},
          0,
          1,
          "probability that the users overlook a SAS mismatch (drawn from the scenario's seed)"},
         {"bits",
          ParamDecl::Type::Int,
          "20",
          {},
          4,
          20,
          "length of the string the users compare, in bits (5 per base32 character; 20 as in RFC 6189)"}},
        true},
       [](const TrustContext& ctx) { return std::make_unique<Sas>("sas", ctx); }},
      {{"identity",
        "requires an RFC 8827 identity assertion, signed by a trusted IdP, that binds the fingerprint",
        {},
        false},
       [](const TrustContext& ctx) { return std::make_unique<Identity>("identity", ctx, true); }},
      {{"identity-optional", "verifies an identity assertion when present, accepts its absence", {}, false},
       [](const TrustContext& ctx) { return std::make_unique<Identity>("identity-optional", ctx, false); }},
      {{"pinned-key", "the SDP fingerprints are signed with a long-term key the peers pinned beforehand", {}, false},
       [](const TrustContext& ctx) { return std::make_unique<PinnedKey>("pinned-key", ctx); }},
      {{"tofu", "key continuity: the first session pins the peer's certificate, later sessions compare", {}, false},
       [](const TrustContext& ctx) { return std::make_unique<Tofu>("tofu", ctx); }},
  };
  return all;
}

class Combined : public TrustPolicy {
 public:
  std::string name_;
  std::vector<std::unique_ptr<TrustPolicy>> parts;
  const std::string& name() const override { return name_; }
  void decorate(sdp::Session& s, const std::vector<sdp::Fingerprint>& own) const override {
    for (const auto& p : parts) p->decorate(s, own);
  }
  TrustVerdict check_certificate(const TrustCheck& c) const override {
    TrustVerdict out;
    for (const auto& p : parts) merge(out, p->check_certificate(c), p->name());
    return out;
  }
  bool holds_data() const override {
    return std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p->holds_data(); });
  }
  void after_handshake(const std::function<std::vector<std::uint8_t>()>& exporter,
                       std::function<void(TrustVerdict)> done) const override {
    // Only one part compares anything after the handshake (sas); the others accept.
    for (const auto& p : parts)
      if (p->holds_data()) return p->after_handshake(exporter, std::move(done));
    done(TrustVerdict{true, {}, "nothing to compare"});
  }

 private:
  static void merge(TrustVerdict& out, TrustVerdict v, const std::string& name) {
    out.accept = out.accept && v.accept;
    for (auto& a : v.alarms)
      if (std::find(out.alarms.begin(), out.alarms.end(), a) == out.alarms.end()) out.alarms.push_back(a);
    out.detail += (out.detail.empty() ? "" : "; ") + name + ": " + v.detail;
  }
};

}  // namespace

const std::vector<TrustDecl>& trust_configurations() {
  static const std::vector<TrustDecl> decls = [] {
    std::vector<TrustDecl> v;
    for (const auto& e : entries()) v.push_back(e.decl);
    return v;
  }();
  return decls;
}

std::unique_ptr<TrustPolicy> make_trust_policy(const std::vector<std::string>& names, TrustContext context) {
  auto combined = std::make_unique<Combined>();
  for (const auto& n : names) {
    auto it = std::find_if(entries().begin(), entries().end(), [&](const Entry& e) { return e.decl.name == n; });
    if (it == entries().end()) return nullptr;
    combined->parts.push_back(it->make(context));
    combined->name_ += (combined->name_.empty() ? "" : "+") + n;
  }
  if (combined->parts.empty()) return nullptr;
  return combined;
}

}  // namespace sigtrust
