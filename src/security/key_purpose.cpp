#include "security/key_purpose.hpp"

#include <array>

namespace espfab::security {

namespace {

constexpr std::array<KeyPurposeInfo, 12> kPurposes{{
    {KeyPurpose::User, "USER", false, false, false},
    {KeyPurpose::Reserved, "RESERVED", false, false, false},
    {KeyPurpose::XtsAes256Key1, "XTS_AES_256_KEY_1", true, true, false},
    {KeyPurpose::XtsAes256Key2, "XTS_AES_256_KEY_2", true, true, false},
    {KeyPurpose::XtsAes128Key, "XTS_AES_128_KEY", true, true, false},
    {KeyPurpose::HmacDownAll, "HMAC_DOWN_ALL", false, true, false},
    {KeyPurpose::HmacDownJtag, "HMAC_DOWN_JTAG", false, true, false},
    {KeyPurpose::HmacDownDigitalSignature, "HMAC_DOWN_DIGITAL_SIGNATURE", false, true, false},
    {KeyPurpose::HmacUp, "HMAC_UP", false, true, false},
    {KeyPurpose::SecureBootDigest0, "SECURE_BOOT_DIGEST0", false, false, true},
    {KeyPurpose::SecureBootDigest1, "SECURE_BOOT_DIGEST1", false, false, true},
    {KeyPurpose::SecureBootDigest2, "SECURE_BOOT_DIGEST2", false, false, true},
}};

}  // namespace

std::optional<KeyPurposeInfo> key_purpose_info(std::uint32_t value) {
  for (const auto& info : kPurposes)
    if (static_cast<std::uint32_t>(info.purpose) == value) return info;
  return std::nullopt;
}

std::string_view key_purpose_name(std::uint32_t value) {
  const auto info = key_purpose_info(value);
  return info ? info->name : "FORBIDDEN_STATE";
}

std::optional<KeyPurposeInfo> key_purpose_by_name(std::string_view name) {
  for (const auto& info : kPurposes)
    if (info.name == name) return info;
  return std::nullopt;
}

bool is_xts_purpose(KeyPurpose purpose) {
  return purpose == KeyPurpose::XtsAes128Key || purpose == KeyPurpose::XtsAes256Key1 ||
         purpose == KeyPurpose::XtsAes256Key2;
}

}  // namespace espfab::security
