// `espfab reset`: connect, then apply --after (default hard_reset: the chip boots its firmware).
#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options) {
  Device device(options);
  device.finish();
  if (options.json) {
    print_json({{"reset", options.after}});
  } else {
    std::cout << "Reset (" << options.after << ")\n";
  }
}

const RegisterCommand kCommand{{
    "reset",
    "Connect to the chip, then reset it as --after says (default: hard_reset into the firmware)",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      app.callback([options] { run(*options); });
    },
}};

}  // namespace
}  // namespace espfab::cli
