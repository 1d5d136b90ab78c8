// Merges binaries into one flat flash image, the equivalent of `esptool.py merge_bin` (raw
// format): each file at its offset, gaps filled with 0xFF, and the bootloader at the chip's
// bootloader offset gets the requested flash mode/frequency/size with its SHA-256 recomputed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chip/esp32s3.hpp"
#include "image/flash_params.hpp"
#include "util/bytes.hpp"

namespace espfab::image {

struct MergeInput {
  std::uint32_t address = 0;
  Bytes data;
  std::string name;  // for messages (the file name)
};

struct MergeOptions {
  FlashParams flash_params;                   // all empty = keep the bootloader header as it is
  std::optional<std::uint32_t> fill_to_size;  // 0xFF-fill the output up to this size (--fill-flash-size)
};

struct MergeResult {
  Bytes data;
  // What happened to the bootloader header, in esptool's words ("Flash params set to 0x0030",
  // "SHA digest in image updated", or why the file at 0x0 was left alone).
  std::vector<std::string> notes;
};

// Throws BadInputError: image.merge_no_inputs, image.merge_overlap (two files share a flash sector),
// image.merge_too_large (fill size below the end of the data).
MergeResult merge_images(std::vector<MergeInput> inputs, const MergeOptions& options,
                         const chip::ChipDescription& chip = chip::kEsp32s3);

// Applies flash params to an image at the bootloader offset (what merge and write-flash do) and
// recomputes its appended SHA-256. Leaves `image` unchanged (with a note) when it is not a valid
// image for `chip`.
Bytes update_bootloader_flash_params(Bytes image, const FlashParams& params, const chip::ChipDescription& chip,
                                     std::vector<std::string>& notes);

}  // namespace espfab::image
