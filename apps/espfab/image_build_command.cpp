// `espfab image build --elf FILE -o OUT`: ELF -> app/bootloader image, byte-identical to
// `esptool.py --chip esp32s3 elf2image` with the same options. See docs/image.md.
#include <fmt/format.h>

#include <iostream>
#include <string>

#include "chip/esp32s3.hpp"
#include "cli_support.hpp"
#include "command_registry.hpp"
#include "image/app_image.hpp"
#include "image/elf2image.hpp"
#include "image/flash_params.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

struct ImageBuildArgs {
  std::string elf;
  std::string output;
  std::string flash_mode = "qio";
  std::string flash_freq = "40m";
  std::string flash_size = "1MB";
  unsigned min_rev = 0;
  unsigned min_rev_full = 0;
  unsigned max_rev_full = image::kNoMaxChipRev;
  std::string elf_sha256_offset;
  std::string pad_to_size;
  bool dont_append_digest = false;
  bool secure_pad_sbv2 = false;
};

void reject_keep(const std::string& value, const char* option) {
  if (value == "keep" || value.empty()) {
    throw BadInputError("cli.keep_not_allowed",
                        fmt::format("{} '{}' is not allowed when building an image", option, value),
                        fmt::format("name a value for {}; 'keep' only applies to merge", option));
  }
}

image::ImageBuildOptions build_options(const ImageBuildArgs& args, const chip::ChipDescription& chip) {
  reject_keep(args.flash_mode, "--flash-mode");
  reject_keep(args.flash_freq, "--flash-freq");
  reject_keep(args.flash_size, "--flash-size");
  const auto params = image::parse_flash_params(chip, args.flash_mode, args.flash_freq, args.flash_size);
  image::ImageBuildOptions options = image::default_elf2image_options();
  options.flash_mode = *params.mode;
  options.flash_size_freq = static_cast<std::uint8_t>(*params.size_code | *params.frequency);
  options.min_rev = static_cast<std::uint8_t>(args.min_rev);
  options.min_chip_rev_full = static_cast<std::uint16_t>(args.min_rev_full);
  options.max_chip_rev_full = static_cast<std::uint16_t>(args.max_rev_full);
  options.append_digest = !args.dont_append_digest;
  options.secure_pad_v2 = args.secure_pad_sbv2;
  if (!args.elf_sha256_offset.empty())
    options.elf_sha256_offset = parse_u32(args.elf_sha256_offset, "--elf-sha256-offset");
  if (!args.pad_to_size.empty()) {
    const auto size = chip.flash_size_bytes(args.pad_to_size);
    options.pad_to_size = size ? *size : parse_u32(args.pad_to_size, "--pad-to-size");
  }
  return options;
}

void run(const ImageBuildArgs& args) {
  const auto& chip = chip::kEsp32s3;
  const auto options = build_options(args, chip);
  Bytes output;
  try {
    output = image::elf_to_image(image::parse_elf(read_file(args.elf)), options, chip);
  } catch (Error& error) {
    error.with_context(fmt::format("building an image from {}", args.elf));
    throw;
  }
  write_file_atomic(args.output, output);
  const auto built = image::parse_app_image(output, chip);
  std::cout << fmt::format("Wrote {} ({} bytes, {} segments, entry {:#x}) from {}\n", args.output, output.size(),
                           built.segments.size(), built.header.entry_point, args.elf);
}

const RegisterCommand command{{
    "image build",
    "Turn a firmware ELF into an app or bootloader image (esptool elf2image)",
    [](CLI::App& app) {
      auto args = std::make_shared<ImageBuildArgs>();
      app.add_option("--elf", args->elf, "input ELF (ESP-IDF build/<project>.elf or bootloader.elf)")->required();
      app.add_option("-o,--output", args->output, "output image file (written atomically)")->required();
      app.add_option("--flash-mode", args->flash_mode, "qio, qout, dio or dout")->capture_default_str();
      app.add_option("--flash-freq", args->flash_freq, "80m, 40m, 26m or 20m")->capture_default_str();
      app.add_option("--flash-size", args->flash_size, "1MB, 2MB, 4MB, 8MB, 16MB, 32MB, 64MB or 128MB")
          ->capture_default_str();
      app.add_option("--min-rev", args->min_rev, "legacy minimal chip revision (major)")
          ->check(CLI::Range(0, 255))
          ->capture_default_str();
      app.add_option("--min-rev-full", args->min_rev_full, "minimal chip revision, major * 100 + minor")
          ->check(CLI::Range(0, 65535))
          ->capture_default_str();
      app.add_option("--max-rev-full", args->max_rev_full, "maximal chip revision, major * 100 + minor")
          ->check(CLI::Range(0, 65535))
          ->capture_default_str();
      app.add_option("--elf-sha256-offset", args->elf_sha256_offset,
                     "write the ELF's SHA-256 at this image offset (0xb0 for ESP-IDF apps)");
      app.add_option("--pad-to-size", args->pad_to_size, "0xFF-pad the image to a multiple of this (4MB, 0x10000)");
      app.add_flag("--dont-append-digest", args->dont_append_digest, "do not append the SHA-256 of the image");
      app.add_flag("--secure-pad-sbv2", args->secure_pad_sbv2,
                   "pad so that the image ends on a 64 KiB page, ready for a Secure Boot V2 signature");
      app.footer(
          "Same bytes as `esptool.py --chip esp32s3 elf2image` given the same options; the defaults are\n"
          "esptool's too (qio, 40m, 1MB), so name the flash your modules have.\n\n"
          "Examples:\n"
          "  espfab image build --elf build/app.elf -o app.bin --flash-mode dio --flash-freq 80m --flash-size 4MB\n"
          "  espfab image build --elf build/app.elf -o app.bin --flash-size 8MB --elf-sha256-offset 0xb0\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
