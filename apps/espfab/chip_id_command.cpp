// `espfab chip-id`: connect, identify the chip (refusing anything but an ESP32-S3) and print it
// with its MAC and loader mode.
#include <fmt/format.h>

#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "loader/device_info.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options) {
  run_device_command(options, [&] {
    Device device(options);
    auto& session = device.session();
    const auto mac = loader::format_mac(loader::read_mac(session.client(), session.description()));
    const auto& security = session.chip().security;
    const std::uint32_t chip_id =
        security && security->chip_id ? *security->chip_id : session.description().image_chip_id;
    device.finish();
    if (options.json) {
      print_json({{"chip", session.description().name},
                  {"chip_id", chip_id},
                  {"mac", mac},
                  {"loader", session.stub_running() ? "stub" : "rom"},
                  {"secure_download_mode", session.chip().secure_download_mode},
                  {"port", device.link().describe()}});
    } else {
      std::cout << fmt::format("Chip: {}\nChip id: {}\nMAC: {}\nLoader: {}\n", session.description().name, chip_id, mac,
                               session.stub_running() ? "stub" : "ROM");
    }
  });
}

const RegisterCommand command{{
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
