// `espfab erase-flash`: erase the whole flash (needs the flasher stub, espfab's default; not with --no-stub).
#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "service/flash_operations.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options, bool force) {
  Device device(options);
  service::erase_flash(device.session(), force);
  device.finish();
  if (options.json) {
    print_json({{"erased", "all"}});
  } else {
    std::cout << "Flash erased\n";
  }
}

const RegisterCommand kCommand{{
    "erase-flash",
    "Erase the whole flash (with the flasher stub; the ROM loader has no erase)",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      auto force = std::make_shared<bool>(false);
      app.add_flag("--force", *force, "erase even with flash encryption or Secure Boot active");
      app.callback([options, force] { run(*options, *force); });
    },
}};

}  // namespace
}  // namespace espfab::cli
