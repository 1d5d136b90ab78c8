// `espfab write-flash ADDR FILE [ADDR FILE...]`: plan the regions, then write them compressed
// (or raw, or chip-encrypted) and check each one's MD5 on the chip.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "progress_bar.hpp"
#include "service/flash_operations.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

struct WriteFlashArgs {
  std::vector<std::string> pairs;
  bool encrypt = false;
  bool no_compress = false;
  bool skip_unchanged = false;
  std::string idf_build;
};

std::vector<flash::FlashRegion> read_regions(const WriteFlashArgs& args) {
  if (args.pairs.empty() && args.idf_build.empty()) {
    throw BadInputError("cli.nothing_to_write", "write-flash needs ADDRESS FILE pairs or --idf-build DIR",
                        "example: espfab write-flash 0x0 bootloader.bin 0x8000 partitions.bin 0x10000 app.bin");
  }
  if (args.pairs.size() % 2 != 0) {
    throw BadInputError("cli.odd_write_arguments", "write-flash takes ADDRESS FILE pairs; one is incomplete",
                        "example: espfab write-flash 0x0 bootloader.bin 0x8000 partitions.bin 0x10000 app.bin");
  }
  std::vector<flash::FlashRegion> regions;
  // The build's files (with their own `encrypted` flags under --encrypt), then any pairs given.
  if (!args.idf_build.empty()) regions = service::idf_build_regions(args.idf_build, args.encrypt);
  for (std::size_t i = 0; i < args.pairs.size(); i += 2) {
    const std::uint32_t address = parse_u32(args.pairs[i], "address");
    const std::filesystem::path path = args.pairs[i + 1];
    regions.push_back(
        flash::FlashRegion{address, std::make_shared<Bytes>(read_file(path)), path.filename().string(), args.encrypt});
  }
  return regions;
}

void run(const ConnectionOptions& options, const WriteFlashArgs& args) {
  const auto regions = read_regions(args);
  service::check_flash_regions(regions, !args.no_compress);  // bad files fail before the device is touched

  Device device(options);
  auto& session = device.session();
  service::WriteFlashRequest request;
  request.regions = regions;
  request.compress = !args.no_compress;
  request.skip_unchanged = args.skip_unchanged;
  request.progress = make_progress_bar(options.json);
  const auto outcome = service::write_flash(session, request);
  if (outcome.encrypted_for_plain_chip && !options.json) {
    std::cerr << "warning: --encrypt on a chip without flash encryption enabled: the chip will not boot it\n";
  }
  const auto& results = outcome.regions;
  device.finish();
  if (options.json) {
    nlohmann::json regions_json = nlohmann::json::array();
    for (const auto& result : results) {
      regions_json.push_back({{"region", result.label},
                              {"address", result.address},
                              {"size", result.size},
                              {"skipped", result.skipped},
                              {"verified", result.verified},
                              {"wire_bytes", result.wire_bytes},
                              {"seconds", std::chrono::duration<double>(result.elapsed).count()}});
    }
    print_json({{"regions", regions_json}, {"loader", session.stub_running() ? "stub" : "rom"}});
    return;
  }
  for (const auto& result : results) {
    const double seconds = std::chrono::duration<double>(result.elapsed).count();
    if (result.skipped) {
      std::cout << fmt::format("{}: unchanged, skipped\n", result.label);
    } else {
      std::cout << fmt::format("{}: wrote {} bytes ({} on the wire) in {:.2f} s{}\n", result.label, result.size,
                               result.wire_bytes, seconds, result.verified ? ", hash verified" : "");
    }
  }
}

const RegisterCommand kCommand{{
    "write-flash",
    "Write files to flash (compressed by default) and verify each one's MD5 on the chip",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      auto args = std::make_shared<WriteFlashArgs>();
      app.add_option("ADDRESS_FILE", args->pairs, "pairs of flash address and file")->expected(0, -1);
      app.add_option("--idf-build", args->idf_build,
                     "an ESP-IDF build directory: write every file its flasher_args.json lists, as `idf.py flash`")
          ->check(CLI::ExistingDirectory);
      app.add_flag("--encrypt", args->encrypt,
                   "have the chip encrypt the data as it writes (flash encryption); with --idf-build only the files "
                   "the build marks encrypted, as `idf.py encrypted-flash`");
      app.add_flag("-u,--no-compress", args->no_compress, "send the data uncompressed");
      app.add_flag("--skip-unchanged", args->skip_unchanged,
                   "skip a region whose MD5 on the chip already matches the file");
      app.footer(
          "Examples:\n  espfab write-flash --port /dev/ttyUSB0 0x0 bootloader.bin 0x8000 partition-table.bin 0x10000 "
          "app.bin\n"
          "  espfab write-flash --port /dev/ttyUSB0 --idf-build ~/my-product/build\n");
      app.callback([options, args] { run(*options, *args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
