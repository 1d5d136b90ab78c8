// SLIP framing of the serial download protocol (docs/serial-protocol.md §1): frames are delimited by 0xC0; inside,
// 0xDB becomes DB DD and 0xC0 becomes DB DC. The host-side decoder is tolerant: bytes between
// frames (boot log text) are kept aside as noise, empty frames are skipped, and a frame with a
// broken escape is dropped and counted, so a bit flip costs a retry, not a wrong result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "util/bytes.hpp"

namespace espfab::loader {

inline constexpr std::uint8_t kSlipEnd = 0xC0;
inline constexpr std::uint8_t kSlipEsc = 0xDB;
inline constexpr std::uint8_t kSlipEscEnd = 0xDC;
inline constexpr std::uint8_t kSlipEscEsc = 0xDD;

// One whole frame: C0, escaped payload, C0.
Bytes slip_encode(ByteView payload);
// Appends the frame to `out` (avoids a copy when streaming blocks).
void slip_encode_into(ByteView payload, Bytes& out);
// Size of the encoded frame without building it.
std::size_t slip_encoded_size(ByteView payload);

class SlipDecoder {
 public:
  // Frames longer than this are dropped (no protocol frame is larger than 0x4000 + header).
  static constexpr std::size_t kMaxFrame = 0x10000;
  static constexpr std::size_t kMaxNoise = 4096;

  void feed(ByteView bytes);
  std::optional<Bytes> pop_frame();
  bool has_frame() const { return !frames_.empty(); }

  // Forgets partial and queued frames and the noise (after a drain or a baud change).
  void reset();

  // Bytes seen outside frames since the last take_noise(), at most kMaxNoise (the newest).
  std::string take_noise();
  std::size_t dropped_frames() const { return dropped_; }

 private:
  enum class State { Outside, Inside, Escape };

  State state_ = State::Outside;
  bool corrupt_ = false;
  Bytes current_;
  std::deque<Bytes> frames_;
  std::string noise_;
  std::size_t dropped_ = 0;
};

}  // namespace espfab::loader
