#include "image/merge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "image/app_image.hpp"
#include "util/error.hpp"

namespace espfab::image {

Bytes update_bootloader_flash_params(Bytes image, const FlashParams& params, const chip::ChipDescription& chip,
                                     std::vector<std::string>& notes) {
  if (image.size() < kImageHeaderSize || params.keeps_all()) return image;
  if (image[0] != kImageMagic) {
    notes.push_back(
        fmt::format("Warning: Image file at {} doesn't look like an image file, so not changing any "
                    "flash settings.",
                    hex(chip.bootloader_offset)));
    return image;
  }
  AppImage parsed;
  try {
    parsed = parse_app_image(image, chip);
  } catch (const BadInputError& error) {
    notes.push_back(
        fmt::format("Warning: Image file at {} is not a valid {} image ({}), so not changing any flash "
                    "settings.",
                    hex(chip.bootloader_offset), chip.name, error.message()));
    return image;
  }
  const auto [mode, size_freq] = apply_flash_params(params, image[2], image[3]);
  if (mode != image[2] || size_freq != image[3]) {
    notes.push_back(fmt::format("Flash params set to {:#06x}", (mode << 8) | size_freq));
    image[2] = mode;
    image[3] = size_freq;
  }
  if (parsed.extended.hash_appended) {
    const std::size_t hashed = parsed.image_size - kDigestSize;
    const auto digest = crypto::sha256(ByteView(image).first(hashed));
    std::copy(digest.begin(), digest.end(), image.begin() + static_cast<std::ptrdiff_t>(hashed));
    notes.push_back("SHA digest in image updated");
  }
  return image;
}

MergeResult merge_images(std::vector<MergeInput> inputs, const MergeOptions& options,
                         const chip::ChipDescription& chip) {
  if (inputs.empty()) {
    throw BadInputError("image.merge_no_inputs", "no input files to merge",
                        "give pairs of flash address and file: 0x0 bootloader.bin 0x8000 partitions.bin ...");
  }
  std::stable_sort(inputs.begin(), inputs.end(), [](const auto& a, const auto& b) { return a.address < b.address; });

  // Like esptool: two files may not touch the same flash sector.
  const std::uint64_t sector = chip.flash_sector_size;
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const auto& before = inputs[i - 1];
    const auto& current = inputs[i];
    const std::uint64_t before_end = align_up(std::uint64_t{before.address} + before.data.size(), sector);
    const std::uint64_t current_start = current.address / sector * sector;
    if (current_start < before_end) {
      throw BadInputError(
          "image.merge_overlap",
          fmt::format("{} at {} overlaps {} at {} (which, rounded up to {}-byte flash sectors, ends at {})",
                      current.name, hex(current.address), before.name, hex(before.address), sector, hex(before_end)),
          "give each file its own flash sectors: move the later file to or past the end of the earlier one");
    }
  }

  MergeResult result;
  for (auto& input : inputs) {
    if (input.address == chip.bootloader_offset) {
      input.data = update_bootloader_flash_params(std::move(input.data), options.flash_params, chip, result.notes);
    }
    result.data.resize(input.address, 0xFF);
    result.data.insert(result.data.end(), input.data.begin(), input.data.end());
  }
  if (options.fill_to_size) {
    if (*options.fill_to_size < result.data.size()) {
      throw BadInputError("image.merge_too_large",
                          fmt::format("the merged data is {} bytes, more than the fill size {}",
                                      hex(result.data.size()), hex(*options.fill_to_size)),
                          "choose a larger flash size or fewer/smaller files");
    }
    result.data.resize(*options.fill_to_size, 0xFF);
  }
  return result;
}

}  // namespace espfab::image
