// The device side of SLIP framing (docs/serial-protocol.md §1): frames open and close with 0xC0, 0xC0 and
// 0xDB inside are escaped as DB DC / DB DD. The decoder is what the chip's UART loop does: bytes
// outside a frame are ignored, duplicate 0xC0 never produce empty frames, an oversized frame is
// dropped instead of growing without bound.
#pragma once

#include <cstddef>
#include <vector>

#include "util/bytes.hpp"

namespace espfab::emulator {

inline constexpr std::uint8_t kSlipEnd = 0xC0;
inline constexpr std::uint8_t kSlipEsc = 0xDB;
inline constexpr std::uint8_t kSlipEscEnd = 0xDC;
inline constexpr std::uint8_t kSlipEscEsc = 0xDD;

// One complete frame with its own leading and trailing 0xC0.
Bytes slip_encode(ByteView payload);
void slip_encode_append(ByteView payload, Bytes& out);

class SlipDecoder {
 public:
  // Frames above this payload size are discarded (the largest legal request is 0x4000 + 16 + 8).
  static constexpr std::size_t kMaxFrame = 0x10000;

  // Decodes `bytes`; each complete, non-empty frame is appended to `frames`.
  void feed(ByteView bytes, std::vector<Bytes>& frames);
  void reset();
  bool in_frame() const noexcept { return in_frame_; }
  // Counters for diagnostics and tests.
  std::size_t dropped_frames() const noexcept { return dropped_frames_; }

 private:
  Bytes current_;
  bool in_frame_ = false;
  bool escape_ = false;
  bool overflow_ = false;
  std::size_t dropped_frames_ = 0;
};

}  // namespace espfab::emulator
