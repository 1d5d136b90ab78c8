// `espfab image info FILE [--json]`: every fact of an app or bootloader image, as esptool's
// `image_info --version 2` prints it, plus the app descriptor and signature sector. Exit 1 when
// the checksum or the appended SHA-256 is wrong. See docs/image.md.
#include <fmt/format.h>

#include <iostream>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "image_info_format.hpp"
#include "service/image_operations.hpp"

namespace espfab::cli {
namespace {

struct ImageInfoArgs {
  std::string file;
  bool json = false;
};

void print_json(const nlohmann::json& json) {
  // Descriptor strings are untrusted bytes: invalid UTF-8 must not stop the output.
  std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void run(const ImageInfoArgs& args) {
  const service::ImageInfoResult result = service::inspect_app_image({.file = args.file});
  const auto& image = result.image;
  if (args.json) {
    nlohmann::json json = image_info_json(image, *result.chip);
    json["file"] = args.file;
    print_json(json);
  } else {
    std::cout << format_image_info_text(image, *result.chip);
  }
  if (!image.valid()) {
    std::cerr << fmt::format("{}: {} invalid\n", args.file,
                             !image.checksum.valid() && image.hash && !image.hash->valid() ? "checksum and SHA-256 are"
                             : !image.checksum.valid()                                     ? "checksum is"
                                                                                           : "SHA-256 is");
    throw ExitRequest{kExitCheckFailed};
  }
}

const RegisterGroup kGroup{"image",
                           "Inspect, build and merge ESP32-S3 firmware images (app, bootloader, flat flash images)"};

const RegisterCommand kCommand{{
    "image info",
    "Show every header field, segment, checksum and hash of an app or bootloader image",
    [](CLI::App& app) {
      auto args = std::make_shared<ImageInfoArgs>();
      app.add_option("FILE", args->file, "app or bootloader image (a merged flash image works too: the image at 0x0)")
          ->required();
      app.add_flag("--json", args->json, "print one JSON object instead of text (shape in docs/image.md)");
      app.footer(
          "Text output matches `esptool.py --chip esp32s3 image_info --version 2` line for line, followed by the\n"
          "app descriptor (esp_app_desc_t) and the Secure Boot V2 signature sector when present.\n"
          "Exit codes: 0 checksum and SHA-256 valid, 1 either is invalid, 2 not a readable image.\n\n"
          "Examples:\n"
          "  espfab image info build/app.bin\n"
          "  espfab image info --json build/bootloader/bootloader.bin | jq .hash.valid\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
