// What the read-only device commands report (chip-id, read-mac, flash-id, security-info), each
// read through the open loader session in one call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "loader/security_info.hpp"
#include "loader/session.hpp"

namespace espfab::service {

struct ChipIdentity {
  std::string chip;  // "ESP32-S3"
  std::uint32_t chip_id = 0;
  std::string mac;    // "aa:bb:cc:dd:ee:ff"
  bool stub = false;  // the flasher stub serves (else the ROM loader)
  bool secure_download_mode = false;
};

struct FlashIdentity {
  std::uint32_t jedec_id = 0;
  std::optional<std::uint32_t> size_bytes;  // nullopt when the id names no size
};

ChipIdentity read_chip_identity(loader::Session& session);
std::string read_mac(loader::Session& session);
FlashIdentity read_flash_identity(loader::Session& session);
// Throws DeviceStatusError("cli.no_security_info") when the chip did not answer GET_SECURITY_INFO.
loader::SecurityInfo read_security_info(loader::Session& session);

}  // namespace espfab::service
