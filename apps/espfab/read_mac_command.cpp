// `espfab read-mac`: the chip's base MAC address from eFuse BLOCK1.
#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "service/device_facts.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options) {
  Device device(options);
  const auto mac = service::read_mac(device.session());
  device.finish();
  if (options.json) {
    print_json({{"mac", mac}});
  } else {
    std::cout << "MAC: " << mac << "\n";
  }
}

const RegisterCommand kCommand{{
    "read-mac",
    "Print the chip's base MAC address",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      app.callback([options] { run(*options); });
    },
}};

}  // namespace
}  // namespace espfab::cli
