#include "service/image_operations.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chip/esp32s3.hpp"
#include "image/app_descriptor.hpp"
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

image::AppDescriptor with_fields(image::AppDescriptor descriptor, const AppDescriptorFields& fields) {
  if (fields.project_name) descriptor.project_name = *fields.project_name;
  if (fields.version) descriptor.version = *fields.version;
  if (fields.secure_version) descriptor.secure_version = *fields.secure_version;
  return descriptor;
}

// Rewrites esp_app_desc_t in the ELF's .flash.appdesc section, where ESP-IDF links it.
void set_descriptor_fields(image::ElfFile& elf, const AppDescriptorFields& fields) {
  for (auto& section : elf.sections) {
    if (section.name != ".flash.appdesc") continue;
    const auto descriptor = image::parse_app_descriptor(section.data);
    if (!descriptor) break;
    const Bytes bytes = image::serialize_app_descriptor(with_fields(*descriptor, fields));
    std::copy(bytes.begin(), bytes.end(), section.data.begin());
    return;
  }
  throw BadInputError("image.no_app_descriptor",
                      "the ELF has no esp_app_desc_t (a .flash.appdesc section starting with 0xABCD5432) to set "
                      "--project-name, --app-version or --secure-version in",
                      "give the ELF of an ESP-IDF app (bootloaders have no esp_app_desc_t), or build a test app "
                      "without --elf");
}

Bytes build_from_elf(const ImageBuildRequest& request, const image::ImageBuildOptions& options,
                     const chip::ChipDescription& chip) {
  try {
    auto elf = image::parse_elf(read_file(request.elf));
    if (request.descriptor.any()) set_descriptor_fields(elf, request.descriptor);
    return image::elf_to_image(elf, options, chip);
  } catch (Error& error) {
    error.with_context(fmt::format("building an image from {}", request.elf.string()));
    throw;
  }
}

Bytes build_test_app(const ImageBuildRequest& request, const image::ImageBuildOptions& options) {
  TestAppSpec spec{.role = request.test_app_role,
                   .code_size = request.test_app_code_size,
                   .flash_mode = options.flash_mode,
                   .flash_size_freq = options.flash_size_freq};
  if (request.descriptor.project_name) spec.project_name = *request.descriptor.project_name;
  if (request.descriptor.version) spec.version = *request.descriptor.version;
  if (request.descriptor.secure_version) spec.secure_version = *request.descriptor.secure_version;
  try {
    return build_test_app_image(spec);
  } catch (Error& error) {
    error.with_context("building a test app image");
    throw;
  }
}

}  // namespace

ImageBuildResult build_app_image(const ImageBuildRequest& request) {
  const auto& chip = chip::kEsp32s3;
  const auto options = build_options(request, chip);
  const Bytes output = request.elf.empty() ? build_test_app(request, options) : build_from_elf(request, options, chip);
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
