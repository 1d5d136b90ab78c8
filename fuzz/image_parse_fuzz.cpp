// Fuzzes the app image parser: any input either parses or throws espfab::Error; a parsed image's
// facts are consistent with the input, and its text-free model can be rebuilt from its segments.
#include <cstdint>
#include <cstdlib>

#include "image/app_image.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const espfab::ByteView bytes(data, size);
  try {
    const auto image = espfab::image::parse_app_image(bytes);
    if (image.image_size > size || image.segments.size() != image.header.segment_count) std::abort();
    for (const auto& segment : image.segments) {
      if (segment.data_offset() + segment.data.size() > image.checksum_offset) std::abort();
    }
    if (image.signature_sector && image.signature_sector->offset + 4096 > size) std::abort();
  } catch (const espfab::Error&) {
  }
  return 0;
}
