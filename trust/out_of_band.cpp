#include "trust/out_of_band.hpp"

#include <algorithm>

namespace sigtrust {

OutOfBand::OutOfBand(MainLoop& loop, std::uint64_t seed, std::uint64_t session_index)
    : loop_(loop), rng_(seed * 0x9E3779B97F4A7C15ull + session_index) {}

void OutOfBand::publish_fingerprint(const std::string& peer, const sdp::Fingerprint& fingerprint) {
  fingerprints_[peer] = fingerprint;
}

std::optional<sdp::Fingerprint> OutOfBand::fingerprint_of(const std::string& peer) const {
  auto it = fingerprints_.find(peer);
  if (it == fingerprints_.end()) return std::nullopt;
  return it->second;
}

void OutOfBand::compare_sas(const std::string& peer, std::string sas, double miss_rate,
                            std::function<void(SasComparison)> done) {
  offers_[peer] = Offer{std::move(sas), miss_rate, std::move(done), false};
  settle();
}

void OutOfBand::give_up(const std::string& peer) {
  if (offers_.count(peer)) return;
  offers_[peer] = Offer{{}, 0, nullptr, true};
  settle();
}

void OutOfBand::settle() {
  if (settled_ || offers_.size() < 2) return;
  settled_ = true;
  auto a = offers_.begin();
  auto b = std::next(a);
  SasComparison::Result r = SasComparison::Result::Match;
  if (a->second.gave_up || b->second.gave_up) {
    r = SasComparison::Result::OtherAbsent;
  } else if (a->second.sas != b->second.sas) {
    // One comparison, as careful as the less careful of the two users.
    const double miss = std::max(a->second.miss_rate, b->second.miss_rate);
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    r = u < miss ? SasComparison::Result::MismatchMissed : SasComparison::Result::MismatchNoticed;
  }
  for (auto [self, other] : {std::pair{&a->second, &b->second}, std::pair{&b->second, &a->second}}) {
    if (!self->done) continue;
    SasComparison c{r, self->sas, other->sas};
    // Asynchronously: the callback may tear down DTLS sessions.
    pending_.push_back(loop_.after(std::chrono::microseconds(0), [done = self->done, c] { done(c); }));
  }
}

std::string render_sas(const std::vector<std::uint8_t>& bytes, unsigned bits) {
  // RFC 6189 §5.1.6 base32 alphabet, chosen to be read aloud without confusion.
  static constexpr char kAlphabet[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
  bits = std::clamp(bits, kSasMinBits, kSasMaxBits);
  std::uint32_t v = 0;
  for (size_t i = 0; i < 3; ++i) v = (v << 8) | (i < bytes.size() ? bytes[i] : 0);
  v >>= 4;  // the leftmost 20 bits
  v &= ~((1u << (kSasMaxBits - bits)) - 1);  // keep the leftmost `bits` of them
  const unsigned chars = (bits + 4) / 5;
  std::string out;
  for (unsigned c = 0; c < chars; ++c) out += kAlphabet[(v >> (15 - 5 * c)) & 31];
  return out;
}

}  // namespace sigtrust
