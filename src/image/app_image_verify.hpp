// The integrity values of an app image: the ROM's XOR checksum over segment data and the appended
// SHA-256. Used by the parser (to report) and the builder (to write).
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/bytes.hpp"

namespace espfab::image {

// XOR of every byte into `state` (the ROM's checksum step); start from kChecksumSeed.
std::uint8_t checksum_update(std::uint8_t state, ByteView data);

// Offset of the checksum byte for segments ending at `end_of_segments`: zero padding so that the
// position after the checksum byte is a multiple of 16.
std::size_t checksum_offset_after(std::size_t end_of_segments);

}  // namespace espfab::image
