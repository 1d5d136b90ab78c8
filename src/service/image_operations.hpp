// The image operations of the CLI (`espfab image build|info|merge`) as one service each: an ELF
// turned into an app or bootloader image (esptool elf2image), an image read with every check, and
// binaries merged into one flat flash image (esptool merge_bin). Images are for the ESP32-S3 and
// written atomically. See docs/image.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chip/chip_description.hpp"
#include "image/app_image.hpp"
#include "service/test_app_image.hpp"

namespace espfab::service {

// Fields of esp_app_desc_t to set in the image; each one left empty keeps what the ELF has.
struct AppDescriptorFields {
  std::optional<std::string> project_name{};  // at most 31 bytes
  std::optional<std::string> version{};       // at most 31 bytes
  std::optional<std::uint32_t> secure_version{};
  bool any() const { return project_name || version || secure_version; }
};

struct ImageBuildRequest {
  // The firmware ELF; empty: a synthetic test app (service/test_app_image.hpp) with `descriptor`
  // and `test_app` instead, no toolchain needed.
  std::filesystem::path elf{};
  std::filesystem::path output{};
  // esptool's names ("dio", "80m", "4MB") and defaults; "keep" (or empty) is refused when building.
  std::string flash_mode = "qio";
  std::string flash_freq = "40m";
  std::string flash_size = "1MB";
  std::uint8_t min_rev = 0;
  std::uint16_t min_rev_full = 0;
  std::uint16_t max_rev_full = image::kNoMaxChipRev;
  std::optional<std::uint32_t> elf_sha256_offset{};  // write the ELF's SHA-256 here (0xb0 for ESP-IDF apps)
  std::uint32_t pad_to_size = 0;                     // 0xFF-pad to a multiple of this; 0: no padding
  bool append_digest = true;
  bool secure_pad_v2 = false;  // end on a 64 KiB page, ready for a Secure Boot V2 signature
  AppDescriptorFields descriptor{};
  // Without an ELF: which firmware-contract strings the test app carries, and its code size.
  FirmwareRole test_app_role = FirmwareRole::Production;
  std::size_t test_app_code_size = 0x10000;
};

struct ImageBuildResult {
  std::size_t size = 0;  // bytes written
  std::size_t segments = 0;
  std::uint32_t entry_point = 0;
};

// Same bytes as `esptool.py --chip esp32s3 elf2image` given the same options (and descriptor fields
// set in the ELF's .flash.appdesc section before the conversion). Throws BadInputError
// (cli.keep_not_allowed, bad flash params, image.no_app_descriptor when fields are to be set in an
// ELF without esp_app_desc_t, image.desc_field_too_long, the ELF's and builder's errors, with the
// ELF as context) before anything is written.
ImageBuildResult build_app_image(const ImageBuildRequest& request);

struct ImageInfoRequest {
  std::filesystem::path file{};  // an app or bootloader image, or a merged flash image (the image at 0x0)
};

struct ImageInfoResult {
  image::AppImage image;                        // image.valid(): checksum and appended SHA-256
  const chip::ChipDescription* chip = nullptr;  // the chip the image was read for
};

// Throws the reader's errors (with the file as context) when the file is not a readable image; a
// bad checksum or hash is in the result.
ImageInfoResult inspect_app_image(const ImageInfoRequest& request);

struct MergePart {
  std::uint32_t address = 0;
  std::filesystem::path file{};
};

struct ImageMergeRequest {
  std::vector<MergePart> parts{};
  std::filesystem::path output{};
  // Applied to the image at the bootloader offset; "keep" leaves its header as it is.
  std::string flash_mode = "keep";
  std::string flash_freq = "keep";
  std::string flash_size = "keep";
  std::string fill_flash_size{};  // a flash size name: 0xFF-fill the output up to it; empty: no fill
};

struct ImageMergeResult {
  std::size_t size = 0;  // bytes written
  // What happened to the bootloader header, in esptool's words ("Flash params set to 0x0030").
  std::vector<std::string> notes;
};

// Same bytes as `esptool.py --chip esp32s3 merge_bin` (raw format). Throws BadInputError
// (cli.bad_flash_size, bad flash params, overlapping files) and IoError before anything is written.
ImageMergeResult merge_flash_image(const ImageMergeRequest& request);

}  // namespace espfab::service
