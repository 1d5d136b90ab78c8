// What every device command shares: --port/--baud/--before/--after/--stub/--no-stub/--json, opening the
// link and the loader session, applying --after, and printing results or errors as JSON.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "loader/connection_settings.hpp"
#include "service/device_connection.hpp"

namespace espfab::cli {

struct ConnectionOptions {
  std::string port;             // URL; ESPFAB_PORT when not given
  std::string baud = "921600";  // a rate, or "auto" (loader/auto_baud.hpp)
  std::string before = "default_reset";
  std::string after = "hard_reset";
  std::string stub_file;  // --stub; empty: the search of loader/stub_locator.hpp
  bool no_stub = false;   // --no-stub: the ROM loader
  unsigned connect_attempts = 7;
  bool json = false;
};

// Adds the options to a device subcommand (`espfab chip-id --port URL ...`).
std::shared_ptr<ConnectionOptions> add_connection_options(CLI::App& app);

// The service's connection settings for these options (the stub file read, --before parsed).
loader::ConnectionSettings connection_settings(const ConnectionOptions& options);

// One open device: the service's connection, with --after applied by finish().
class Device : public service::DeviceConnection {
 public:
  explicit Device(const ConnectionOptions& options);
  // Applies --after. Call once the operation succeeded.
  void finish();

 private:
  Device(loader::AfterReset after, const ConnectionOptions& options);
  loader::AfterReset after_;
};

void print_json(const nlohmann::json& json);

}  // namespace espfab::cli
