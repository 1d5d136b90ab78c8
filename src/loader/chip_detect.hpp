// Which chip answered (docs/serial-protocol.md §5.1): GET_SECURITY_INFO's chip id first, the magic register as the
// fallback. Anything but the expected chip (ESP32-S3) is refused before any write, with an error
// that names the chip found.
#pragma once

#include <optional>

#include "chip/chip_description.hpp"
#include "chip/esp32s3.hpp"
#include "loader/client.hpp"
#include "loader/security_info.hpp"

namespace espfab::loader {

struct DetectedChip {
  const chip::ChipDescription* description = nullptr;
  std::optional<SecurityInfo> security;  // empty when the chip did not answer GET_SECURITY_INFO
  bool secure_download_mode = false;     // READ_REG refused or SECURE_DOWNLOAD_ENABLE set
};

// Throws PolicyRefusalError loader.wrong_chip ("found ESP32-C3, this station flashes ESP32-S3")
// or loader.unknown_chip.
DetectedChip detect_chip(LoaderClient& client, const chip::ChipDescription& expected = chip::kEsp32s3);

}  // namespace espfab::loader
