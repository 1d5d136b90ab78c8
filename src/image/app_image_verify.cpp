#include "image/app_image_verify.hpp"

namespace espfab::image {

std::uint8_t checksum_update(std::uint8_t state, ByteView data) {
  for (const std::uint8_t byte : data) state ^= byte;
  return state;
}

std::size_t checksum_offset_after(std::size_t end_of_segments) {
  return static_cast<std::size_t>(align_up(end_of_segments + 1, 16)) - 1;
}

}  // namespace espfab::image
