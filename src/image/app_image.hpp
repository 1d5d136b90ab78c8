// The ESP32-S3 app image (also the 2nd-stage bootloader format): 8-byte header, 16-byte extended
// header, segments, XOR checksum, optional appended SHA-256 (docs/efuse-and-security-facts.md §11). parse_app_image()
// turns untrusted bytes into this model; a broken structure throws BadInputError, while a wrong checksum or hash is a
// reported fact (ChecksumCheck / HashCheck), not an exception.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "chip/esp32s3.hpp"
#include "image/app_descriptor.hpp"
#include "image/signature_sector.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::image {

inline constexpr std::uint8_t kImageMagic = 0xE9;
inline constexpr std::uint8_t kChecksumSeed = 0xEF;
inline constexpr std::size_t kImageHeaderSize = 8;
inline constexpr std::size_t kExtendedHeaderSize = 16;
inline constexpr std::size_t kSegmentHeaderSize = 8;
inline constexpr std::size_t kMaxSegments = 16;
inline constexpr std::size_t kDigestSize = 32;
inline constexpr std::uint8_t kWpPinDisabled = 0xEE;
inline constexpr std::uint16_t kNoMaxChipRev = 0xFFFF;

struct ImageHeader {
  std::uint8_t magic = kImageMagic;
  std::uint8_t segment_count = 0;
  std::uint8_t flash_mode = 0;       // qio 0, qout 1, dio 2, dout 3
  std::uint8_t flash_size_freq = 0;  // size code << 4 | frequency code
  std::uint32_t entry_point = 0;

  std::uint8_t flash_size_code() const { return static_cast<std::uint8_t>(flash_size_freq & 0xF0); }
  std::uint8_t flash_frequency_code() const { return static_cast<std::uint8_t>(flash_size_freq & 0x0F); }
};

// SPI flash pin drive strengths, 4 bits each.
struct SpiDriveSettings {
  std::uint8_t clk = 0, q = 0, d = 0, cs0 = 0, hd = 0, wp = 0;
};

struct ExtendedHeader {
  std::uint8_t wp_pin = kWpPinDisabled;
  SpiDriveSettings drive{};
  std::uint16_t chip_id = 0;
  std::uint8_t min_rev = 0;  // legacy, major revision only
  std::uint16_t min_chip_rev_full = 0;
  std::uint16_t max_chip_rev_full = kNoMaxChipRev;  // major * 100 + minor
  std::array<std::uint8_t, 4> reserved{};
  bool hash_appended = true;
};

struct ImageSegment {
  std::uint32_t load_address = 0;
  std::size_t header_offset = 0;  // file offset of the 8-byte segment header ("File offs" in esptool)
  Bytes data;
  std::vector<std::string_view> memory_types;  // chip memory-map names containing load_address

  std::size_t data_offset() const { return header_offset + kSegmentHeaderSize; }
  bool has_memory_type(std::string_view name) const;
};

struct ChecksumCheck {
  std::uint8_t stored = 0;
  std::uint8_t calculated = 0;
  bool valid() const { return stored == calculated; }
};

struct HashCheck {
  crypto::Sha256Digest stored{};
  crypto::Sha256Digest calculated{};  // over bytes [0, checksum offset]
  bool valid() const { return stored == calculated; }
};

struct AppImage {
  ImageHeader header;
  ExtendedHeader extended;
  std::vector<ImageSegment> segments;
  std::size_t checksum_offset = 0;
  ChecksumCheck checksum;
  std::optional<HashCheck> hash;                // present when extended.hash_appended
  std::size_t image_size = 0;                   // bytes the image occupies, appended hash included
  std::size_t file_size = 0;                    // the whole input (merged files carry more after the image)
  std::optional<AppDescriptor> app_descriptor;  // first DROM segment, if it has one
  std::optional<BootloaderDescriptor> bootloader_descriptor;  // first DRAM segment, only without DROM
  std::optional<SignatureSector> signature_sector;

  bool valid() const { return checksum.valid() && (!hash || hash->valid()); }
};

// Memory-map region names that contain `address`, in the chip table's order.
std::vector<std::string_view> memory_types(const chip::ChipDescription& chip, std::uint32_t address);

// Parses an image at the start of `file`. Throws BadInputError: image.truncated, image.bad_magic,
// image.bad_segment_count, image.bad_hash_flag, image.wrong_chip.
AppImage parse_app_image(ByteView file, const chip::ChipDescription& chip = chip::kEsp32s3);

}  // namespace espfab::image
