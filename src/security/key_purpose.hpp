// KEY_PURPOSE_n values of ESP32-S3 key blocks and what burn_key does for each (docs/efuse-and-security-facts.md §5):
// whether the key bytes are reversed on the way into the block and whether the block is
// read-protected by default. The table is the chip's (ChipDescription::efuse.key_purposes).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "chip/esp32s3_efuse.hpp"

namespace espfab::security {

using chip::esp32s3_efuse::KeyPurpose;

struct KeyPurposeInfo {
  KeyPurpose purpose;
  std::string_view name;
  bool reversed;  // burn_key reverses the key file bytes (XTS keys)
  bool needs_read_protect;
  bool digest;  // SECURE_BOOT_DIGESTn
};

// The name espefuse shows for a raw KEY_PURPOSE value ("FORBIDDEN_STATE" for unknown values).
std::string_view key_purpose_name(std::uint32_t value);
std::optional<KeyPurposeInfo> key_purpose_info(std::uint32_t value);
std::optional<KeyPurposeInfo> key_purpose_by_name(std::string_view name);
bool is_xts_purpose(KeyPurpose purpose);

}  // namespace espfab::security
