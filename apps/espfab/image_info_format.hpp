// How `espfab image info` shows an AppImage: text that reproduces esptool's `image_info --version 2`
// line for line (plus a signature-sector section), and a stable JSON object (docs/image.md).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "chip/chip_description.hpp"
#include "image/app_image.hpp"

namespace espfab::cli {

// From "File size: N (bytes)" to the end, each line ending in '\n'.
std::string format_image_info_text(const image::AppImage& image, const chip::ChipDescription& chip);

nlohmann::json image_info_json(const image::AppImage& image, const chip::ChipDescription& chip);

}  // namespace espfab::cli
