// What the attacker hears: Opus audio it decrypted, decoded with libopus and
// written as a WAV file (48 kHz, 16-bit PCM, stereo), one file per SSRC.
//
// Error policy: payloads come from the network. One that libopus cannot
// decode is counted (and stands as silence, as a receiver's concealment
// would), never a crash; the file stays a valid WAV file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/result.hpp"

namespace sigtrust::attacks {

class OpusWavRecorder {
 public:
  static Result<std::unique_ptr<OpusWavRecorder>> open(const std::string& path);
  ~OpusWavRecorder();  // completes the WAV header
  OpusWavRecorder(const OpusWavRecorder&) = delete;
  OpusWavRecorder& operator=(const OpusWavRecorder&) = delete;

  // One RTP payload (RFC 7587: one Opus packet). False if it did not decode.
  bool add(std::span<const std::uint8_t> opus_packet);

  std::uint64_t samples() const { return samples_; }  // per channel
  std::uint64_t undecodable() const { return undecodable_; }

 private:
  struct Impl;
  explicit OpusWavRecorder(std::unique_ptr<Impl> impl);
  void write_header();
  std::unique_ptr<Impl> impl_;
  std::uint64_t samples_ = 0, undecodable_ = 0;
};

// A file name from text that came from the network (room, label): letters,
// digits, '-' and '_' kept, anything else '_', at most 40 characters.
std::string safe_file_part(const std::string& text);

}  // namespace sigtrust::attacks
