#include "service/image_operations.hpp"

#include <fmt/format.h>

#include "chip/esp32s3.hpp"
#include "image/elf2image.hpp"
#include "image/elf_file.hpp"
#include "image/flash_params.hpp"
#include "image/merge.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

void reject_keep(const std::string& value, const char* option) {
  if (value == "keep" || value.empty()) {
    throw BadInputError("cli.keep_not_allowed",
                        fmt::format("{} '{}' is not allowed when building an image", option, value),
                        fmt::format("name a value for {}; 'keep' only applies to merge", option));
  }
}

image::ImageBuildOptions build_options(const ImageBuildRequest& request, const chip::ChipDescription& chip) {
  reject_keep(request.flash_mode, "--flash-mode");
  reject_keep(request.flash_freq, "--flash-freq");
  reject_keep(request.flash_size, "--flash-size");
  const auto params = image::parse_flash_params(chip, request.flash_mode, request.flash_freq, request.flash_size);
  image::ImageBuildOptions options = image::default_elf2image_options();
  options.flash_mode = *params.mode;
  options.flash_size_freq = static_cast<std::uint8_t>(*params.size_code | *params.frequency);
  options.min_rev = request.min_rev;
  options.min_chip_rev_full = request.min_rev_full;
  options.max_chip_rev_full = request.max_rev_full;
  options.append_digest = request.append_digest;
  options.secure_pad_v2 = request.secure_pad_v2;
  options.elf_sha256_offset = request.elf_sha256_offset;
  options.pad_to_size = request.pad_to_size;
  return options;
}

}  // namespace

ImageBuildResult build_app_image(const ImageBuildRequest& request) {
  const auto& chip = chip::kEsp32s3;
  const auto options = build_options(request, chip);
  Bytes output;
  try {
    output = image::elf_to_image(image::parse_elf(read_file(request.elf)), options, chip);
  } catch (Error& error) {
    error.with_context(fmt::format("building an image from {}", request.elf.string()));
    throw;
  }
  write_file_atomic(request.output, output);
  const auto built = image::parse_app_image(output, chip);
  return {.size = output.size(), .segments = built.segments.size(), .entry_point = built.header.entry_point};
}

ImageInfoResult inspect_app_image(const ImageInfoRequest& request) {
  const auto& chip = chip::kEsp32s3;
  try {
    return {.image = image::parse_app_image(read_file(request.file), chip), .chip = &chip};
  } catch (Error& error) {
    error.with_context(fmt::format("reading image {}", request.file.string()));
    throw;
  }
}

ImageMergeResult merge_flash_image(const ImageMergeRequest& request) {
  const auto& chip = chip::kEsp32s3;
  image::MergeOptions options;
  options.flash_params = image::parse_flash_params(chip, request.flash_mode, request.flash_freq, request.flash_size);
  if (!request.fill_flash_size.empty()) {
    const auto size = chip.flash_size_bytes(request.fill_flash_size);
    if (!size) {
      throw BadInputError("cli.bad_flash_size",
                          fmt::format("--fill-flash-size '{}' is not a flash size", request.fill_flash_size),
                          "use a flash size name such as 4MB or 8MB");
    }
    options.fill_to_size = *size;
  }
  std::vector<image::MergeInput> inputs;
  inputs.reserve(request.parts.size());
  for (const auto& part : request.parts) {
    inputs.push_back({.address = part.address, .data = read_file(part.file), .name = part.file.string()});
  }
  auto merged = image::merge_images(std::move(inputs), options, chip);
  write_file_atomic(request.output, merged.data);
  return {.size = merged.data.size(), .notes = std::move(merged.notes)};
}

}  // namespace espfab::service
