// Builds synthetic app and bootloader images from segments plus an optional ESP-IDF descriptor:
// what the emulator and tests use for factory-test apps, production apps and bootloaders.
//
//   AppImageSpec spec;
//   spec.options.entry_point = 0x40370000;
//   spec.segments.push_back({.address = 0x40370000, .data = code, .name = ".iram0.text", .flags = 0x6});
//   spec.app_descriptor = AppDescriptor{.version = "1.0", .project_name = "factory_test"};
//   Bytes image = build_app_image(spec);
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "chip/esp32s3.hpp"
#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"

namespace espfab::image {

// Where ESP-IDF apps keep esp_app_desc_t: the first DROM bytes after the image and segment headers.
inline constexpr std::uint32_t kDefaultAppDescriptorAddress = 0x3C000020;

struct AppImageSpec {
  ImageBuildOptions options;
  std::vector<SegmentInput> segments;
  // Placed as section ".flash.appdesc" at app_descriptor_address; a DROM segment in `segments`
  // that starts right after it (address + 256) is merged into the same image segment.
  std::optional<AppDescriptor> app_descriptor;
  std::uint32_t app_descriptor_address = kDefaultAppDescriptorAddress;
  // Placed as section ".dram0.bootdesc" (first RAM segment) at bootloader_descriptor_address, which
  // must then be a DRAM address.
  std::optional<BootloaderDescriptor> bootloader_descriptor;
  std::uint32_t bootloader_descriptor_address = 0;
};

// Throws BadInputError (image.bad_spec) for a descriptor address outside DROM/DRAM or overlapping
// a segment, and whatever build_image() throws.
Bytes build_app_image(const AppImageSpec& spec, const chip::ChipDescription& chip = chip::kEsp32s3);

}  // namespace espfab::image
