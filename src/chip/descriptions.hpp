// Every chip described as data, for code that must know them all (the loader's trace redaction,
// chip naming, the validation test). Driving a chip is a separate matter: only the ESP32-S3 has
// a station path and an emulator (docs/adding-a-chip.md).
#pragma once

#include <array>

#include "chip/chip_description.hpp"
#include "chip/esp32c3.hpp"
#include "chip/esp32s3.hpp"

namespace espfab::chip {

inline constexpr std::array<const ChipDescription*, 2> kDescriptions{&kEsp32s3, &kEsp32c3};

}  // namespace espfab::chip
