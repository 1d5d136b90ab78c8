// The flash parameters an image header carries (byte 2 = mode, byte 3 = size << 4 | frequency),
// parsed from the names esptool users type ("dio", "80m", "4MB", or "keep").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chip/chip_description.hpp"

namespace espfab::image {

// Each field empty = "keep" what the image already has.
struct FlashParams {
  std::optional<std::uint8_t> mode;       // header byte 2
  std::optional<std::uint8_t> size_code;  // high nibble of byte 3, already shifted (0x20 = 4MB)
  std::optional<std::uint8_t> frequency;  // low nibble of byte 3

  bool keeps_all() const { return !mode && !size_code && !frequency; }
};

// Throws BadInputError naming the bad value and listing the valid ones. "keep" or "" leaves a
// field empty.
FlashParams parse_flash_params(const chip::ChipDescription& chip, const std::string& mode, const std::string& frequency,
                               const std::string& size);

// Applies the params to header bytes 2..3; returns the new (mode, size|freq) pair.
std::pair<std::uint8_t, std::uint8_t> apply_flash_params(const FlashParams& params, std::uint8_t mode_byte,
                                                         std::uint8_t size_freq_byte);

}  // namespace espfab::image
