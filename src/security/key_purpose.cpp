#include "security/key_purpose.hpp"

#include "chip/esp32s3.hpp"

namespace espfab::security {

namespace {

// The purposes are chip facts (ChipDescription::efuse.key_purposes).
KeyPurposeInfo to_info(const chip::KeyPurposeDef& def) {
  return {static_cast<KeyPurpose>(def.value), def.name, def.reversed, def.needs_read_protect, def.digest};
}

}  // namespace

std::optional<KeyPurposeInfo> key_purpose_info(std::uint32_t value) {
  for (const auto& def : chip::kEsp32s3.efuse.key_purposes)
    if (def.value == value) return to_info(def);
  return std::nullopt;
}

std::string_view key_purpose_name(std::uint32_t value) {
  const auto info = key_purpose_info(value);
  return info ? info->name : "FORBIDDEN_STATE";
}

std::optional<KeyPurposeInfo> key_purpose_by_name(std::string_view name) {
  for (const auto& def : chip::kEsp32s3.efuse.key_purposes)
    if (def.name == name) return to_info(def);
  return std::nullopt;
}

bool is_xts_purpose(KeyPurpose purpose) {
  return purpose == KeyPurpose::XtsAes128Key || purpose == KeyPurpose::XtsAes256Key1 ||
         purpose == KeyPurpose::XtsAes256Key2;
}

}  // namespace espfab::security
