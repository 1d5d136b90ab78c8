// Fuzzes the ELF reader and elf2image: any input either becomes an image that parses back, or
// throws espfab::Error.
#include <cstdint>
#include <cstdlib>

#include "image/app_image.hpp"
#include "image/elf2image.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const espfab::ByteView bytes(data, size);
  try {
    const auto elf = espfab::image::parse_elf(bytes);
    std::size_t total = 0;
    for (const auto& section : elf.sections) total += section.data.size();
    if (total > size * static_cast<std::size_t>(elf.sections.size() + 1)) std::abort();
    // Keep each run small: images are laid out in memory, flash segments pad to 64 KiB pages.
    if (espfab::image::loadable_segments(elf).size() > 8) return 0;
    const auto image = espfab::image::elf_to_image(elf, espfab::image::default_elf2image_options());
    const auto parsed = espfab::image::parse_app_image(image);
    if (!parsed.valid()) std::abort();
  } catch (const espfab::Error&) {
  }
  return 0;
}
