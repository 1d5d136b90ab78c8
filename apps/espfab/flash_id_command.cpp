// `espfab flash-id`: the SPI flash's JEDEC id (RDID) and the size it implies.
#include <fmt/format.h>

#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "service/device_facts.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options) {
  Device device(options);
  const auto flash = service::read_flash_identity(device.session());
  const std::uint32_t id = flash.jedec_id;
  const auto size = flash.size_bytes;
  device.finish();
  const std::uint32_t manufacturer = id & 0xFF;
  const std::uint32_t part = ((id >> 8) & 0xFF) << 8 | ((id >> 16) & 0xFF);
  if (options.json) {
    nlohmann::json json{{"flash_id", fmt::format("0x{:06x}", id)},
                        {"manufacturer", fmt::format("0x{:02x}", manufacturer)},
                        {"device", fmt::format("0x{:04x}", part)}};
    json["size_bytes"] = size ? nlohmann::json(*size) : nlohmann::json(nullptr);
    print_json(json);
    return;
  }
  std::cout << fmt::format("Manufacturer: {:02x}\nDevice: {:04x}\n", manufacturer, part);
  if (size) {
    std::cout << fmt::format("Detected flash size: {}MB\n", *size / (1024 * 1024));
  } else {
    std::cout << "Detected flash size: unknown\n";
  }
  if (id == 0 || id == 0xFFFFFF)
    std::cerr << "warning: the flash chip does not answer (id 0x" << fmt::format("{:06x}", id) << ")\n";
}

const RegisterCommand kCommand{{
    "flash-id",
    "Print the SPI flash manufacturer, device id and size",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      app.callback([options] { run(*options); });
    },
}};

}  // namespace
}  // namespace espfab::cli
