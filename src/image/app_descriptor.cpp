#include "image/app_descriptor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "util/error.hpp"

namespace espfab::image {

namespace {

// Field offsets of esp_app_desc_t (ESP-IDF esp_app_desc.h).
constexpr std::size_t kAppSecureVersion = 4;
constexpr std::size_t kAppVersion = 16;
constexpr std::size_t kAppProjectName = 48;
constexpr std::size_t kAppTime = 80;
constexpr std::size_t kAppDate = 96;
constexpr std::size_t kAppIdfVersion = 112;
constexpr std::size_t kAppElfSha256 = 144;
constexpr std::size_t kAppMinEfuseBlkRev = 176;
constexpr std::size_t kAppMaxEfuseBlkRev = 178;
constexpr std::size_t kAppMmuPageSize = 180;

// Field offsets of esp_bootloader_desc_t (ESP-IDF esp_bootloader_desc.h).
constexpr std::size_t kBootVersion = 4;
constexpr std::size_t kBootIdfVersion = 8;
constexpr std::size_t kBootDateTime = 40;

std::string c_string(ByteView data, std::size_t offset, std::size_t size) {
  const auto field = data.subspan(offset, size);
  const auto end = std::find(field.begin(), field.end(), std::uint8_t{0});
  return std::string(field.begin(), end);
}

void put_c_string(Bytes& out, std::size_t offset, std::size_t size, const std::string& value, std::string_view field) {
  if (value.size() >= size) {
    throw BadInputError("image.desc_field_too_long",
                        fmt::format("descriptor field {} is {} bytes long; it holds at most {} plus a NUL", field,
                                    value.size(), size - 1),
                        fmt::format("shorten {} to {} characters", field, size - 1));
  }
  std::copy(value.begin(), value.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
}

}  // namespace

std::optional<AppDescriptor> parse_app_descriptor(ByteView data) {
  if (data.size() < kAppDescSize || load_le32(data, 0) != kAppDescMagic) return std::nullopt;
  AppDescriptor desc;
  desc.secure_version = load_le32(data, kAppSecureVersion);
  desc.version = c_string(data, kAppVersion, 32);
  desc.project_name = c_string(data, kAppProjectName, 32);
  desc.time = c_string(data, kAppTime, 16);
  desc.date = c_string(data, kAppDate, 16);
  desc.idf_version = c_string(data, kAppIdfVersion, 32);
  std::copy_n(data.begin() + kAppElfSha256, desc.app_elf_sha256.size(), desc.app_elf_sha256.begin());
  desc.min_efuse_blk_rev_full = load_le16(data, kAppMinEfuseBlkRev);
  desc.max_efuse_blk_rev_full = load_le16(data, kAppMaxEfuseBlkRev);
  desc.mmu_page_size = data[kAppMmuPageSize];
  return desc;
}

std::optional<BootloaderDescriptor> parse_bootloader_descriptor(ByteView data) {
  if (data.size() < kBootloaderDescSize || data[0] != kBootloaderDescMagic) return std::nullopt;
  BootloaderDescriptor desc;
  desc.version = load_le32(data, kBootVersion);
  desc.idf_version = c_string(data, kBootIdfVersion, 32);
  desc.date_time = c_string(data, kBootDateTime, 24);
  return desc;
}

Bytes serialize_app_descriptor(const AppDescriptor& desc) {
  Bytes out(kAppDescSize, 0);
  store_le32(out, 0, kAppDescMagic);
  store_le32(out, kAppSecureVersion, desc.secure_version);
  put_c_string(out, kAppVersion, 32, desc.version, "version");
  put_c_string(out, kAppProjectName, 32, desc.project_name, "project_name");
  put_c_string(out, kAppTime, 16, desc.time, "time");
  put_c_string(out, kAppDate, 16, desc.date, "date");
  put_c_string(out, kAppIdfVersion, 32, desc.idf_version, "idf_ver");
  std::copy(desc.app_elf_sha256.begin(), desc.app_elf_sha256.end(), out.begin() + kAppElfSha256);
  store_le16(out, kAppMinEfuseBlkRev, desc.min_efuse_blk_rev_full);
  store_le16(out, kAppMaxEfuseBlkRev, desc.max_efuse_blk_rev_full);
  out[kAppMmuPageSize] = desc.mmu_page_size;
  return out;
}

Bytes serialize_bootloader_descriptor(const BootloaderDescriptor& desc) {
  Bytes out(kBootloaderDescSize, 0);
  out[0] = kBootloaderDescMagic;
  store_le32(out, kBootVersion, desc.version);
  put_c_string(out, kBootIdfVersion, 32, desc.idf_version, "idf_ver");
  put_c_string(out, kBootDateTime, 24, desc.date_time, "date_time");
  return out;
}

}  // namespace espfab::image
