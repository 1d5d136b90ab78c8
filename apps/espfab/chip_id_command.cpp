// `espfab chip-id`: connect, identify the chip (refusing anything but an ESP32-S3) and print it
// with its MAC and loader mode.
#include <fmt/format.h>

#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "service/device_facts.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options) {
  Device device(options);
  const auto identity = service::read_chip_identity(device.session());
  device.finish();
  if (options.json) {
    print_json({{"chip", identity.chip},
                {"chip_id", identity.chip_id},
                {"mac", identity.mac},
                {"loader", identity.stub ? "stub" : "rom"},
                {"secure_download_mode", identity.secure_download_mode},
                {"port", device.link().describe()}});
  } else {
    std::cout << fmt::format("Chip: {}\nChip id: {}\nMAC: {}\nLoader: {}\n", identity.chip, identity.chip_id,
                             identity.mac, identity.stub ? "stub" : "ROM");
  }
}

const RegisterCommand kCommand{{
    "chip-id",
    "Connect to the chip in the fixture and identify it (ESP32-S3 only; other chips are refused)",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      app.footer(
          "Example:\n  espfab chip-id --port /dev/ttyUSB0\n  espfab chip-id --port socket://127.0.0.1:5555 --json\n");
      app.callback([options] { run(*options); });
    },
}};

}  // namespace
}  // namespace espfab::cli
