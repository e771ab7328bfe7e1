// What the attacker sees: VP8 video it decrypted, reassembled from RTP
// (RFC 7741) into whole frames and written as an IVF file, one per SSRC.
//
// Error policy: payloads come from the network. A payload whose descriptor is
// cut short or carries no VP8 data, a frame that lost a packet, a frame over
// the size limit: each is counted and dropped, never a crash; the file stays a
// valid IVF file (its header is rewritten with the frame count on close).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace sigtrust::attacks {

// RFC 7741 §4.2: the VP8 payload descriptor at the start of each RTP payload.
struct Vp8Descriptor {
  bool start = false;  // S: the first packet of a partition
  int partition = 0;  // PID
  size_t size = 0;  // descriptor bytes; the VP8 data follows
};
// nullopt when the descriptor runs past the payload or no VP8 data follows it.
std::optional<Vp8Descriptor> parse_vp8_descriptor(std::span<const std::uint8_t> payload);

// RFC 6386 §9.1: the size a key frame announces; nullopt for an inter frame
// or a key frame too short or without the start code 9d 01 2a.
struct Vp8Size {
  std::uint16_t width = 0, height = 0;
};
std::optional<Vp8Size> vp8_key_frame_size(std::span<const std::uint8_t> frame);

// The packets of one RTP timestamp, from one with S=1 and PID 0 to the one
// with the marker bit, in sequence order without gaps: one frame.
class Vp8Depacketizer {
 public:
  // True when this packet completed a frame: then frame() and timestamp() are it.
  // An empty payload (padding only) takes its sequence number and nothing else.
  bool add(std::uint16_t sequence, std::uint32_t timestamp, bool marker, std::span<const std::uint8_t> payload);
  std::span<const std::uint8_t> frame() const { return frame_; }
  std::uint32_t timestamp() const { return timestamp_; }

  // Non-empty payloads refused (descriptor cut short, no VP8 data, a first packet
  // shorter than the 3-byte frame tag).
  std::uint64_t malformed() const { return malformed_; }
  // Frames abandoned: a gap in the sequence, a new timestamp before the
  // marker, over kMaxFrame, or packets of a frame whose first packet never came.
  std::uint64_t dropped() const { return dropped_; }

  static constexpr size_t kMaxFrame = 4 << 20;

 private:
  void abandon();
  std::vector<std::uint8_t> frame_;
  bool assembling_ = false;
  std::uint16_t next_sequence_ = 0;
  std::uint32_t timestamp_ = 0;
  std::optional<std::uint32_t> skipped_timestamp_;  // a frame joined midway, counted once
  std::uint64_t malformed_ = 0, dropped_ = 0;
};

class Vp8IvfRecorder {
 public:
  static Result<std::unique_ptr<Vp8IvfRecorder>> open(const std::string& path);
  ~Vp8IvfRecorder();  // completes the IVF header
  Vp8IvfRecorder(const Vp8IvfRecorder&) = delete;
  Vp8IvfRecorder& operator=(const Vp8IvfRecorder&) = delete;

  // One RTP packet's payload. False if it was malformed or ended a frame
  // that had to be dropped.
  bool add(std::uint16_t sequence, std::uint32_t timestamp, bool marker, std::span<const std::uint8_t> payload);

  std::uint64_t frames() const { return frames_; }  // written
  std::uint64_t malformed() const { return depacketizer_.malformed(); }  // payloads refused
  // Frames incomplete, or whole but before the first key frame (undecodable alone).
  std::uint64_t dropped() const { return depacketizer_.dropped() + before_key_frame_; }
  Vp8Size size() const { return key_.value_or(Vp8Size{}); }  // 0x0 before the first key frame

 private:
  struct Impl;
  explicit Vp8IvfRecorder(std::unique_ptr<Impl> impl);
  void write_header();
  void write_frame();
  std::unique_ptr<Impl> impl_;
  Vp8Depacketizer depacketizer_;
  std::optional<Vp8Size> key_;  // from the first key frame; frames are written from there on
  std::uint32_t first_timestamp_ = 0;
  std::uint64_t frames_ = 0, before_key_frame_ = 0;
};

}  // namespace sigtrust::attacks
