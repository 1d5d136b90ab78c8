#include "connection_options.hpp"

#include <fmt/format.h>

#include <iostream>

#include "chip/esp32s3.hpp"
#include "cli_support.hpp"
#include "loader/auto_baud.hpp"
#include "loader/stub_locator.hpp"
#include "util/error.hpp"

namespace espfab::cli {

std::shared_ptr<ConnectionOptions> add_connection_options(CLI::App& app) {
  auto options = std::make_shared<ConnectionOptions>();
  app.add_option("-p,--port", options->port,
                 "serial device, socket://HOST:PORT or rfc2217://HOST:PORT (default: $ESPFAB_PORT)")
      ->envname("ESPFAB_PORT");
  app.add_option("-b,--baud", options->baud,
                 "baud rate after connecting (the chip is reached at 115200, then switched; 9600..5000000), or "
                 "auto: the fastest of 3000000, 2000000, 1500000, 921600 that passes a verified transfer")
      ->capture_default_str();
  app.add_option("--before", options->before, "reset before: default_reset, usb_reset, no_reset, no_reset_no_sync")
      ->capture_default_str();
  app.add_option("--after", options->after, "after the command: hard_reset, no_reset, no_reset_stub")
      ->capture_default_str();
  auto* stub = app.add_option("--stub", options->stub_file,
                              "upload this flasher stub (esptool's JSON format) instead of the one espfab finds: "
                              "$ESPFAB_STUB, then the esptool-js package scripts/setup installs (espfab --version "
                              "says which)");
  app.add_flag("--no-stub", options->no_stub, "talk to the ROM loader only (no flasher stub)")->excludes(stub);
  app.add_option("--connect-attempts", options->connect_attempts, "reset + sync attempts before giving up")
      ->capture_default_str();
  app.add_flag("--json", options->json, "print one JSON object instead of text");
  return options;
}

loader::ConnectionSettings connection_settings(const ConnectionOptions& options) {
  loader::ConnectionSettings settings;
  settings.port = options.port;
  settings.before = loader::parse_before_reset(options.before);
  settings.attempts = options.connect_attempts;
  const auto baud = loader::parse_baud_setting(options.baud);
  settings.baud = baud.rate;
  settings.auto_baud = baud.automatic;
  // The stub is chosen for the ESP32-S3, the one chip the station provisions.
  settings.stub =
      loader::load_stub(loader::locate_stub(loader::stub_request(options.stub_file, options.no_stub), chip::kEsp32s3));
  return settings;
}

// --after is parsed first: a typo fails before the device is touched.
Device::Device(const ConnectionOptions& options) : Device(loader::parse_after_reset(options.after), options) {}

Device::Device(loader::AfterReset after, const ConnectionOptions& options)
    : service::DeviceConnection(connection_settings(options)), after_(after) {}

void Device::finish() { service::DeviceConnection::finish(after_); }

void print_json(const nlohmann::json& json) {
  std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace espfab::cli
