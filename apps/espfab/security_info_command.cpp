// `espfab security-info`: GET_SECURITY_INFO decoded (flags, flash encryption count, key purposes).
#include <fmt/format.h>

#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "loader/security_info.hpp"
#include "service/device_facts.hpp"

namespace espfab::cli {
namespace {

void run(const ConnectionOptions& options) {
  Device device(options);
  const loader::SecurityInfo info = service::read_security_info(device.session());
  device.finish();
  std::vector<int> purposes(info.key_purposes.begin(), info.key_purposes.end());
  if (options.json) {
    nlohmann::json json{
        {"flags", fmt::format("0x{:08x}", info.flags)}, {"flag_names", info.flag_names()},
        {"flash_crypt_cnt", info.flash_crypt_cnt},      {"flash_encryption", info.flash_encryption_enabled()},
        {"secure_boot", info.secure_boot_enabled()},    {"key_purposes", purposes}};
    json["chip_id"] = info.chip_id ? nlohmann::json(*info.chip_id) : nlohmann::json(nullptr);
    json["api_version"] = info.api_version ? nlohmann::json(*info.api_version) : nlohmann::json(nullptr);
    print_json(json);
    return;
  }
  std::cout << fmt::format("Flags: 0x{:08x}", info.flags);
  for (const auto name : info.flag_names()) std::cout << " " << name;
  std::cout << fmt::format("\nFlash crypt count: 0x{:x}\nKey purposes: {}\n", info.flash_crypt_cnt,
                           fmt::join(purposes, ", "));
  if (info.chip_id) std::cout << fmt::format("Chip id: {}\n", *info.chip_id);
  if (info.api_version) std::cout << fmt::format("API version: {}\n", *info.api_version);
  std::cout << "Secure Boot: " << (info.secure_boot_enabled() ? "Enabled" : "Disabled") << "\n";
  std::cout << "Flash Encryption: " << (info.flash_encryption_enabled() ? "Enabled" : "Disabled") << "\n";
}

const RegisterCommand kCommand{{
    "security-info",
    "Print the chip's security state (Secure Boot, flash encryption, key purposes, JTAG/USB flags)",
    [](CLI::App& app) {
      auto options = add_connection_options(app);
      app.callback([options] { run(*options); });
    },
}};

}  // namespace
}  // namespace espfab::cli
