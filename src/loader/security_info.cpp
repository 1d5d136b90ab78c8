#include "loader/security_info.hpp"

#include <fmt/format.h>

#include <bit>

#include "util/error.hpp"

namespace espfab::loader {

namespace {

// Bit -> name (docs/serial-protocol.md §5.3 flag table).
constexpr std::array<std::string_view, 11> kFlagNames{"SECURE_BOOT_EN",
                                                      "SECURE_BOOT_AGGRESSIVE_REVOKE",
                                                      "SECURE_DOWNLOAD_ENABLE",
                                                      "SECURE_BOOT_KEY_REVOKE0",
                                                      "SECURE_BOOT_KEY_REVOKE1",
                                                      "SECURE_BOOT_KEY_REVOKE2",
                                                      "SOFT_DIS_JTAG",
                                                      "HARD_DIS_JTAG",
                                                      "DIS_USB",
                                                      "DIS_DOWNLOAD_DCACHE",
                                                      "DIS_DOWNLOAD_ICACHE"};

}  // namespace

bool SecurityInfo::flash_encryption_enabled() const { return std::popcount(flash_crypt_cnt) % 2 == 1; }

std::vector<std::string_view> SecurityInfo::flag_names() const {
  std::vector<std::string_view> names;
  for (std::size_t bit = 0; bit < kFlagNames.size(); ++bit)
    if ((flags & (1u << bit)) != 0) names.push_back(kFlagNames[bit]);
  return names;
}

SecurityInfo decode_security_info(ByteView result) {
  if (result.size() != 12 && result.size() != 20) {
    throw ProtocolError("loader.bad_security_info",
                        fmt::format("GET_SECURITY_INFO returned {} bytes, expected 20 (or 12)", result.size()),
                        "the chip is not an ESP32-S3 ROM or stub; reset it and connect again");
  }
  SecurityInfo info;
  info.flags = load_le32(result, 0);
  info.flash_crypt_cnt = result[4];
  for (std::size_t i = 0; i < info.key_purposes.size(); ++i) info.key_purposes[i] = result[5 + i];
  if (result.size() == 20) {
    info.chip_id = load_le32(result, 12);
    info.api_version = load_le32(result, 16);
  }
  return info;
}

}  // namespace espfab::loader
