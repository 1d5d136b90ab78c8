// `espfab erase-region ADDR SIZE`: erase whole 4 KiB sectors (needs the flasher stub, espfab's default).
#include <fmt/format.h>

#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "service/flash_operations.hpp"

namespace espfab::cli {
namespace {

struct EraseRegionArgs {
  std::string address;
  std::string size;
  bool force = false;
};

void run(const ConnectionOptions& options, const EraseRegionArgs& args) {
  const std::uint32_t address = parse_u32(args.address, "address");
  const std::uint32_t size = parse_u32(args.size, "size");
  Device device(options);
  service::erase_region(device.session(), address, size, args.force);
  device.finish();
  if (options.json) {
    print_json({{"erased", {{"address", address}, {"size", size}}}});
  } else {
    std::cout << fmt::format("Erased 0x{:x} bytes at 0x{:x}\n", size, address);
  }
}

const RegisterCommand kCommand{{
    "erase-region",
    "Erase SIZE bytes of flash at ADDRESS, both multiples of 4 KiB (with the flasher stub)",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      auto args = std::make_shared<EraseRegionArgs>();
      app.add_option("ADDRESS", args->address, "flash address, a multiple of 0x1000")->required();
      app.add_option("SIZE", args->size, "bytes to erase, a multiple of 0x1000")->required();
      app.add_flag("--force", args->force, "erase even with flash encryption or Secure Boot active");
      app.callback([options, args] { run(*options, *args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
