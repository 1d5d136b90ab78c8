// Espressif chips the loader may meet on a fixture, as data: how each identifies itself (the
// GET_SECURITY_INFO chip id, the value of the magic register 0x40001000). Used to name the chip
// when anything but an ESP32-S3 answers. Source: esptool v4.8.1 targets/*.py
// (CHIP_DETECT_MAGIC_VALUE, IMAGE_CHIP_ID).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace espfab::chip {

struct KnownChip {
  std::string_view name;
  std::optional<std::uint32_t> chip_id;  // GET_SECURITY_INFO / image header chip id
  std::array<std::uint32_t, 4> magic;    // CHIP_DETECT_MAGIC_VALUE(s); 0 = unused slot
};

inline constexpr std::array<KnownChip, 11> kKnownChips{{
    {"ESP8266", std::nullopt, {0xFFF0C101, 0, 0, 0}},
    {"ESP32", 0, {0x00F01D83, 0, 0, 0}},
    {"ESP32-S2", 2, {0x000007C6, 0, 0, 0}},
    {"ESP32-S3(beta2)", 4, {0xEB004136, 0, 0, 0}},
    {"ESP32-C3", 5, {0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F}},
    {"ESP32-S3", 9, {0x00000009, 0, 0, 0}},
    {"ESP32-C2", 12, {0x6F51306F, 0x7C41A06F, 0, 0}},
    {"ESP32-C6", 13, {0x2CE0806F, 0, 0, 0}},
    {"ESP32-H2", 16, {0xD7B73E80, 0, 0, 0}},
    {"ESP32-P4", 18, {0, 0, 0, 0}},
    {"ESP32-C5", 23, {0, 0, 0, 0}},
}};

constexpr const KnownChip* find_chip_by_id(std::uint32_t chip_id) {
  for (const auto& chip : kKnownChips)
    if (chip.chip_id == chip_id) return &chip;
  return nullptr;
}

constexpr const KnownChip* find_chip_by_magic(std::uint32_t magic) {
  if (magic == 0) return nullptr;
  for (const auto& chip : kKnownChips)
    for (const std::uint32_t value : chip.magic)
      if (value == magic) return &chip;
  return nullptr;
}

}  // namespace espfab::chip
