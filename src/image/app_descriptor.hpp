// The descriptors ESP-IDF links at the start of an image: esp_app_desc_t (256 bytes, magic
// 0xABCD5432, first bytes of the first DROM segment of an app) and esp_bootloader_desc_t (80 bytes,
// magic byte 0x50, first bytes of the first DRAM segment of a bootloader). Parse and serialize.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::image {

inline constexpr std::uint32_t kAppDescMagic = 0xABCD5432;
inline constexpr std::size_t kAppDescSize = 256;
inline constexpr std::uint8_t kBootloaderDescMagic = 0x50;
inline constexpr std::size_t kBootloaderDescSize = 80;

// esp_app_desc_t. Text fields are C strings in fixed arrays; parsing stops at the first NUL.
struct AppDescriptor {
  std::uint32_t secure_version = 0;
  std::string version;       // char[32]
  std::string project_name;  // char[32]
  std::string time;          // char[16], "__TIME__"
  std::string date;          // char[16], "__DATE__"
  std::string idf_version;   // char[32]
  crypto::Sha256Digest app_elf_sha256{};
  std::uint16_t min_efuse_blk_rev_full = 0;
  std::uint16_t max_efuse_blk_rev_full = 0;
  std::uint8_t mmu_page_size = 0;  // log2 of the MMU page size (0 = not set)

  bool operator==(const AppDescriptor&) const = default;
};

// esp_bootloader_desc_t.
struct BootloaderDescriptor {
  std::uint32_t version = 0;
  std::string idf_version;  // char[32]
  std::string date_time;    // char[24]

  bool operator==(const BootloaderDescriptor&) const = default;
};

// nullopt when `data` is shorter than the struct or does not start with the magic.
std::optional<AppDescriptor> parse_app_descriptor(ByteView data);
std::optional<BootloaderDescriptor> parse_bootloader_descriptor(ByteView data);

// The struct's bytes. Throws BadInputError (image.desc_field_too_long) when a text field does not
// fit with its terminating NUL.
Bytes serialize_app_descriptor(const AppDescriptor& descriptor);
Bytes serialize_bootloader_descriptor(const BootloaderDescriptor& descriptor);

}  // namespace espfab::image
