#include "image/elf2image.hpp"

namespace espfab::image {

std::vector<SegmentInput> loadable_segments(const ElfFile& elf) {
  std::vector<SegmentInput> segments;
  for (const auto& section : elf.sections) {
    if (!section.is_loadable()) continue;
    segments.push_back(
        {.address = section.address, .data = section.data, .name = section.name, .flags = section.flags});
  }
  return segments;
}

Bytes elf_to_image(const ElfFile& elf, ImageBuildOptions options, const chip::ChipDescription& chip) {
  options.entry_point = elf.entry_point;
  options.elf_sha256 = elf.sha256;
  return build_image(loadable_segments(elf), options, chip);
}

ImageBuildOptions default_elf2image_options() {
  ImageBuildOptions options;
  options.flash_mode = 0;       // qio
  options.flash_size_freq = 0;  // 1MB, 40m
  return options;
}

}  // namespace espfab::image
