// GET_SECURITY_INFO (docs/serial-protocol.md §5.3): 20 bytes on ESP32-S3 (12 on ESP32-S2), decoded into named fields.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "util/bytes.hpp"

namespace espfab::loader {

struct SecurityInfo {
  std::uint32_t flags = 0;
  std::uint8_t flash_crypt_cnt = 0;  // SPI_BOOT_CRYPT_CNT
  std::array<std::uint8_t, 7> key_purposes{};
  std::optional<std::uint32_t> chip_id;      // absent in the 12-byte form
  std::optional<std::uint32_t> api_version;  // "eco_version" in the docs

  // Odd number of bits set in SPI_BOOT_CRYPT_CNT.
  bool flash_encryption_enabled() const;
  bool secure_boot_enabled() const { return (flags & 1u) != 0; }
  bool secure_download_enabled() const { return (flags & (1u << 2)) != 0; }
  // Names of the set flag bits ("SECURE_BOOT_EN", "SOFT_DIS_JTAG", ...), in bit order.
  std::vector<std::string_view> flag_names() const;
};

// Throws ProtocolError (loader.bad_security_info) for a length other than 12 or 20.
SecurityInfo decode_security_info(ByteView result);

}  // namespace espfab::loader
