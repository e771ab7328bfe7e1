// A channel between the two users of a session that the attacker does not
// control: a QR code scanned in person, a phone call, a co-signer meeting.
// Over it they can learn each other's true certificate fingerprint
// (oob-fingerprint) and compare short authentication strings (sas).
//
// The SAS comparison is one human act per session: with probability
// `miss-rate` the users overlook a mismatch. The draw comes from the
// scenario's seed and the session's index, so a seed gives the same sequence.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "core/sdp.hpp"
#include "net/main_loop.hpp"

namespace sigtrust {

struct SasComparison {
  enum class Result { Match, MismatchNoticed, MismatchMissed, OtherAbsent };
  Result result = Result::Match;
  std::string mine, theirs;
};

class OutOfBand {
 public:
  OutOfBand(MainLoop& loop, std::uint64_t seed, std::uint64_t session_index);

  void publish_fingerprint(const std::string& peer, const sdp::Fingerprint& fingerprint);
  std::optional<sdp::Fingerprint> fingerprint_of(const std::string& peer) const;

  // A peer offers its SAS; `done` is called (asynchronously, on the loop)
  // once the other has offered its own or has given up.
  void compare_sas(const std::string& peer, std::string sas, double miss_rate, std::function<void(SasComparison)> done);
  // The peer will never offer a SAS (its side failed).
  void give_up(const std::string& peer);

 private:
  struct Offer {
    std::string sas;
    double miss_rate = 0;
    std::function<void(SasComparison)> done;
    bool gave_up = false;
  };
  void settle();

  MainLoop& loop_;
  std::mt19937_64 rng_;
  std::map<std::string, sdp::Fingerprint> fingerprints_;
  std::map<std::string, Offer> offers_;
  std::vector<Timer> pending_;
  bool settled_ = false;
};

// RFC 6189 §5.1.6 style: the leftmost `bits` bits (4..20; 20 is RFC 6189's
// base32 SAS) rendered as ceil(bits / 5) base32 characters, the last one
// padded with zero bits. Fewer than 3 bytes count as zero-padded.
// The RFC 5705 exporter label and length (bytes) each end's SAS comes from.
constexpr const char* kSasExporterLabel = "EXTRACTOR-sigtrust-sas";
constexpr size_t kSasExporterBytes = 4;
constexpr unsigned kSasMinBits = 4, kSasMaxBits = 20;
std::string render_sas(const std::vector<std::uint8_t>& exporter_bytes, unsigned bits = kSasMaxBits);

}  // namespace sigtrust
