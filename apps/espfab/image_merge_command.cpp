// `espfab image merge -o OUT ADDR FILE ...`: one flat flash image, byte-identical to
// `esptool.py --chip esp32s3 merge_bin` (raw format). See docs/image.md.
#include <fmt/format.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "service/image_operations.hpp"

namespace espfab::cli {
namespace {

struct ImageMergeArgs {
  std::string output;
  std::string flash_mode = "keep";
  std::string flash_freq = "keep";
  std::string flash_size = "keep";
  std::string fill_flash_size;
  std::vector<std::string> pairs;
};

void run(const ImageMergeArgs& args) {
  if (args.pairs.size() % 2 != 0) {
    throw BadInputError("cli.merge_pairs", fmt::format("'{}' has no file after it", args.pairs.back()),
                        "give pairs of flash address and file: 0x0 bootloader.bin 0x8000 partitions.bin ...");
  }
  std::vector<service::MergePart> parts;
  for (std::size_t i = 0; i < args.pairs.size(); i += 2) {
    parts.push_back({.address = parse_u32(args.pairs[i], "address"), .file = args.pairs[i + 1]});
  }
  const service::ImageMergeRequest request{.parts = std::move(parts),
                                           .output = args.output,
                                           .flash_mode = args.flash_mode,
                                           .flash_freq = args.flash_freq,
                                           .flash_size = args.flash_size,
                                           .fill_flash_size = args.fill_flash_size};
  const auto result = service::merge_flash_image(request);
  for (const auto& note : result.notes) std::cout << note << "\n";
  std::cout << fmt::format("Wrote {:#x} bytes to file {}, ready to flash to offset 0x0\n", result.size, args.output);
}

const RegisterCommand kCommand{{
    "image merge",
    "Merge bootloader, partition table, apps and data into one flat flash image (esptool merge_bin)",
    [](CLI::App& app) {
      auto args = std::make_shared<ImageMergeArgs>();
      app.add_option("-o,--output", args->output, "output file (written atomically)")->required();
      app.add_option("--flash-mode", args->flash_mode, "qio, qout, dio, dout or keep (patches the image at 0x0)")
          ->capture_default_str();
      app.add_option("--flash-freq", args->flash_freq, "80m, 40m, 26m, 20m or keep")->capture_default_str();
      app.add_option("--flash-size", args->flash_size, "1MB ... 128MB or keep")->capture_default_str();
      app.add_option("--fill-flash-size", args->fill_flash_size, "0xFF-fill the output up to this flash size (4MB)");
      app.add_option("ADDR FILE", args->pairs, "flash address and file, repeated")->required()->expected(2, -1);
      app.footer(
          "Files go at their addresses, gaps are 0xFF, and the output ends with the last file. The image at 0x0\n"
          "gets the given flash mode/frequency/size in its header and its SHA-256 recomputed. Two files may not\n"
          "share a 4 KiB flash sector. Same bytes as `esptool.py --chip esp32s3 merge_bin` with the same options.\n\n"
          "Example:\n"
          "  espfab image merge -o flash.bin --flash-mode dio --flash-size 4MB \\\n"
          "      0x0 bootloader.bin 0x8000 partition-table.bin 0x10000 app.bin\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
