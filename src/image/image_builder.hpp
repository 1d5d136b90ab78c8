// Lays out an app/bootloader image from loadable sections the way esptool v4.8.1 elf2image does:
// 4-byte padding of each section, merging of adjacent sections, flash-mapped (IROM/DROM) segments
// at file offsets congruent to their load address modulo the MMU page (filled with pieces of RAM
// segments or PADDING segments), checksum, appended SHA-256. Same inputs, same bytes as esptool.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chip/esp32s3.hpp"
#include "image/app_image.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::image {

// SegmentInput::flags bit for code (ELF SHF_EXECINSTR).
inline constexpr std::uint32_t kSegmentExecutable = 0x4;

struct SegmentInput {
  std::uint32_t address = 0;
  Bytes data;
  // ELF section name. ".flash.appdesc" goes first among flash segments and ".dram0.bootdesc" first
  // among RAM segments, as ESP-IDF's descriptors must.
  std::string name;
  std::uint32_t flags = 0;  // ELF sh_flags; sections merge only when SHF_EXECINSTR agrees
};

struct ImageBuildOptions {
  std::uint32_t entry_point = 0;
  std::uint8_t flash_mode = 0;       // header byte 2
  std::uint8_t flash_size_freq = 0;  // header byte 3
  std::uint8_t wp_pin = kWpPinDisabled;
  SpiDriveSettings drive{};
  std::uint8_t min_rev = 0;
  std::uint16_t min_chip_rev_full = 0;
  std::uint16_t max_chip_rev_full = kNoMaxChipRev;
  bool append_digest = true;
  // Secure Boot V2 padding (elf2image --secure-pad-sbv2): image + SHA-256 end on an MMU page.
  bool secure_pad_v2 = false;
  std::uint32_t pad_to_size = 0;  // 0xFF-pad the file to a multiple of this (0 = off)
  // Writes `elf_sha256` at this file offset (elf2image --elf-sha256-offset; ESP-IDF apps use 0xb0,
  // the app_elf_sha256 field of the app descriptor). The 32 bytes there must be zero.
  std::optional<std::uint32_t> elf_sha256_offset;
  crypto::Sha256Digest elf_sha256{};
};

// Throws BadInputError: image.too_many_segments, image.flash_segments_share_page,
// image.elf_sha256_offset.
Bytes build_image(std::vector<SegmentInput> segments, const ImageBuildOptions& options,
                  const chip::ChipDescription& chip = chip::kEsp32s3);

}  // namespace espfab::image
