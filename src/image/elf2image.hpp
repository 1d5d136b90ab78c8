// ELF -> app image, the equivalent of `esptool.py --chip esp32s3 elf2image`: the ELF's loadable
// sections (in ELF order) and entry point go through build_image().
#pragma once

#include <optional>
#include <string>

#include "chip/esp32s3.hpp"
#include "image/elf_file.hpp"
#include "image/image_builder.hpp"

namespace espfab::image {

// The sections elf2image takes: PROGBITS / INIT_ARRAY / FINI_ARRAY with address and size non-zero.
std::vector<SegmentInput> loadable_segments(const ElfFile& elf);

// `options.entry_point` is replaced by the ELF's; `options.elf_sha256` by the ELF's digest.
Bytes elf_to_image(const ElfFile& elf, ImageBuildOptions options, const chip::ChipDescription& chip = chip::kEsp32s3);

// elf2image's defaults for the flash fields: qio, 1MB, frequency code 0 (40m on ESP32-S3).
ImageBuildOptions default_elf2image_options();

}  // namespace espfab::image
