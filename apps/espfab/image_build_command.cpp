// `espfab image build --elf FILE -o OUT`: ELF -> app/bootloader image, byte-identical to
// `esptool.py --chip esp32s3 elf2image` with the same options; without --elf, a synthetic test app
// with the esp_app_desc_t fields given (no toolchain needed). See docs/image.md.
#include <fmt/format.h>

#include <iostream>
#include <optional>
#include <string>

#include "chip/esp32s3.hpp"
#include "cli_support.hpp"
#include "command_registry.hpp"
#include "image/app_image.hpp"
#include "service/image_operations.hpp"

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
  std::string project_name;
  std::string app_version;
  std::uint32_t secure_version = 0;
  // Set while parsing: a descriptor field is changed only when its option was given.
  const CLI::Option* project_name_option = nullptr;
  const CLI::Option* app_version_option = nullptr;
  const CLI::Option* secure_version_option = nullptr;
  std::string contract = "production";
  std::string code_size = "64K";
};

template <typename T>
std::optional<T> if_given(const CLI::Option* option, const T& value) {
  return option->count() > 0 ? std::optional<T>(value) : std::nullopt;
}

service::FirmwareRole firmware_role(const std::string& text) {
  if (text == "production") return service::FirmwareRole::Production;
  if (text == "factory-test") return service::FirmwareRole::FactoryTest;
  throw BadInputError("cli.bad_contract", fmt::format("--contract '{}' is not a firmware role", text),
                      "use --contract production or --contract factory-test");
}

std::optional<std::uint32_t> elf_sha256_offset(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return parse_u32(text, "--elf-sha256-offset");
}

// --pad-to-size is a flash size name (4MB) or a number (0x10000).
std::uint32_t pad_to_size(const std::string& text) {
  if (text.empty()) return 0;
  const auto size = chip::kEsp32s3.flash_size_bytes(text);
  return size ? *size : parse_u32(text, "--pad-to-size");
}

void run(const ImageBuildArgs& args) {
  const service::ImageBuildRequest request{
      .elf = args.elf,
      .output = args.output,
      .flash_mode = args.flash_mode,
      .flash_freq = args.flash_freq,
      .flash_size = args.flash_size,
      .min_rev = static_cast<std::uint8_t>(args.min_rev),
      .min_rev_full = static_cast<std::uint16_t>(args.min_rev_full),
      .max_rev_full = static_cast<std::uint16_t>(args.max_rev_full),
      .elf_sha256_offset = elf_sha256_offset(args.elf_sha256_offset),
      .pad_to_size = pad_to_size(args.pad_to_size),
      .append_digest = !args.dont_append_digest,
      .secure_pad_v2 = args.secure_pad_sbv2,
      .descriptor = {.project_name = if_given(args.project_name_option, args.project_name),
                     .version = if_given(args.app_version_option, args.app_version),
                     .secure_version = if_given(args.secure_version_option, args.secure_version)},
      .test_app_role = firmware_role(args.contract),
      .test_app_code_size = parse_u32(args.code_size, "--code-size")};
  const auto result = service::build_app_image(request);
  std::cout << fmt::format("Wrote {} ({} bytes, {} segments, entry {:#x}) from {}\n", args.output, result.size,
                           result.segments, result.entry_point,
                           args.elf.empty() ? fmt::format("a synthetic {} test app", args.contract) : args.elf);
}

const RegisterCommand kCommand{{
    "image build",
    "Turn a firmware ELF into an app or bootloader image (esptool elf2image)",
    [](CLI::App& app) {
      auto args = std::make_shared<ImageBuildArgs>();
      app.add_option("--elf", args->elf,
                     "input ELF (ESP-IDF build/<project>.elf or bootloader.elf); without it, a synthetic test app");
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
      auto* descriptor = app.add_option_group("esp_app_desc_t", "set in the ELF's descriptor, or in the test app's");
      args->project_name_option =
          descriptor->add_option("--project-name", args->project_name, "project name (at most 31 bytes)");
      args->app_version_option =
          descriptor->add_option("--app-version", args->app_version, "app version (at most 31 bytes)");
      args->secure_version_option =
          descriptor->add_option("--secure-version", args->secure_version,
                                 "anti-rollback secure_version the bootloader compares with the eFuses");
      auto* test_app = app.add_option_group("test app", "without --elf");
      test_app
          ->add_option("--contract", args->contract,
                       "production (the identity line's strings) or factory-test (the ready line's)")
          ->capture_default_str();
      test_app->add_option("--code-size", args->code_size, "bytes of filler code (64K, 0x100000)")
          ->capture_default_str();
      app.footer(
          "With --elf: the same bytes as `esptool.py --chip esp32s3 elf2image` given the same options; the\n"
          "defaults are esptool's too (qio, 40m, 1MB), so name the flash your modules have. --project-name,\n"
          "--app-version and --secure-version rewrite the ELF's esp_app_desc_t before the conversion.\n\n"
          "Without --elf: a synthetic test app for trying a profile, the emulator or an update server without\n"
          "a toolchain: its esp_app_desc_t has the fields given, its read-only data the firmware contract's\n"
          "strings (docs/firmware-contract.md), its code deterministic filler. espfab-emu runs it as the\n"
          "factory-test app when the project name is factory-test, as the production app otherwise. Only the\n"
          "flash and descriptor options apply to it; sign it with `espfab secure-boot sign`.\n\n"
          "Examples:\n"
          "  espfab image build --elf build/app.elf -o app.bin --flash-mode dio --flash-freq 80m --flash-size 4MB\n"
          "  espfab image build --elf build/app.elf -o app.bin --flash-size 8MB --elf-sha256-offset 0xb0\n"
          "  espfab image build -o test-app.bin --project-name my-product --app-version 2.1.0 --secure-version 3\n"
          "      --flash-mode dio --flash-freq 80m --flash-size 8MB\n"
          "  espfab image build -o factory-test.bin --project-name factory-test --contract factory-test\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
