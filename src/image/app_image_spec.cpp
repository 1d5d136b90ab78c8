#include "image/app_image_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/error.hpp"

namespace espfab::image {

namespace {

bool overlaps(std::uint32_t a_start, std::size_t a_size, std::uint32_t b_start, std::size_t b_size) {
  const std::uint64_t a_end = std::uint64_t{a_start} + a_size;
  const std::uint64_t b_end = std::uint64_t{b_start} + b_size;
  return a_start < b_end && b_start < a_end;
}

SegmentInput place(const chip::ChipDescription& chip, const std::vector<SegmentInput>& segments, std::uint32_t address,
                   Bytes data, const char* name, std::string_view region) {
  const auto types = memory_types(chip, address);
  if (std::find(types.begin(), types.end(), region) == types.end()) {
    throw BadInputError("image.bad_spec", fmt::format("{} address {} is not in {}", name, hex32(address), region),
                        fmt::format("place the descriptor at a {} address", region));
  }
  for (const auto& segment : segments) {
    if (overlaps(address, data.size(), segment.address, segment.data.size())) {
      throw BadInputError("image.bad_spec",
                          fmt::format("{} at {} ({} bytes) overlaps the segment at {}", name, hex32(address),
                                      data.size(), hex32(segment.address)),
                          "start that segment after the descriptor, or move the descriptor");
    }
  }
  return {.address = address, .data = std::move(data), .name = name, .flags = 0};
}

}  // namespace

Bytes build_app_image(const AppImageSpec& spec, const chip::ChipDescription& chip) {
  std::vector<SegmentInput> segments;
  if (spec.app_descriptor) {
    segments.push_back(place(chip, spec.segments, spec.app_descriptor_address,
                             serialize_app_descriptor(*spec.app_descriptor), ".flash.appdesc", "DROM"));
  }
  if (spec.bootloader_descriptor) {
    segments.push_back(place(chip, spec.segments, spec.bootloader_descriptor_address,
                             serialize_bootloader_descriptor(*spec.bootloader_descriptor), ".dram0.bootdesc", "DRAM"));
  }
  segments.insert(segments.end(), spec.segments.begin(), spec.segments.end());
  return build_image(std::move(segments), spec.options, chip);
}

}  // namespace espfab::image
