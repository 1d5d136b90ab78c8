#include "connection_options.hpp"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli_support.hpp"
#include "loader/stub.hpp"
#include "transport/open_transport.hpp"
#include "util/error.hpp"

namespace espfab::cli {

namespace {

// The ROM starts at 115200 and auto-bauds on SYNC; faster rates come with CHANGE_BAUDRATE.
constexpr std::uint32_t kRomBaud = 115200;

}  // namespace

std::shared_ptr<ConnectionOptions> add_connection_options(CLI::App& app) {
  auto options = std::make_shared<ConnectionOptions>();
  app.add_option("-p,--port", options->port,
                 "serial device, socket://HOST:PORT or rfc2217://HOST:PORT (default: $ESPFAB_PORT)")
      ->envname("ESPFAB_PORT");
  app.add_option("-b,--baud", options->baud,
                 "baud rate after connecting (the chip is reached at 115200, then switched)")
      ->capture_default_str()
      ->check(CLI::Range(9600u, 5000000u));
  app.add_option("--before", options->before, "reset before: default_reset, usb_reset, no_reset, no_reset_no_sync")
      ->capture_default_str();
  app.add_option("--after", options->after, "after the command: hard_reset, no_reset, no_reset_stub")
      ->capture_default_str();
  app.add_option("--stub", options->stub_file,
                 "upload this flasher stub (esptool's JSON stub for ESP32-S3); default: ROM loader only");
  app.add_option("--connect-attempts", options->connect_attempts, "reset + sync attempts before giving up")
      ->capture_default_str();
  app.add_flag("--json", options->json, "print one JSON object instead of text");
  return options;
}

Device::Device(const ConnectionOptions& options) : options_(options) {
  if (options.port.empty()) {
    throw BadInputError("cli.no_port", "no port given",
                        "pass --port /dev/ttyUSB0 (or socket://HOST:PORT, rfc2217://HOST:PORT) or set ESPFAB_PORT");
  }
  std::signal(SIGPIPE, SIG_IGN);  // a dropped TCP link must be an error, not a silent exit
  loader::SessionOptions session_options;
  session_options.connect.before = loader::parse_before_reset(options.before);
  session_options.connect.attempts = options.connect_attempts;
  loader::parse_after_reset(options.after);  // fail on a typo before touching the device
  const auto url = transport::parse_port_url(options.port);
  session_options.connect.classic_only = url.scheme == transport::PortUrl::Scheme::Rfc2217;
  session_options.baud = options.baud;
  if (!options.stub_file.empty()) session_options.stub = loader::load_stub_file(options.stub_file);
  link_ = transport::open_transport(options.port, std::min(kRomBaud, options.baud));
  session_.emplace(*link_, std::move(session_options));
}

void Device::finish() { session_->finish(loader::parse_after_reset(options_.after)); }

void run_device_command(const ConnectionOptions& options, const std::function<void()>& body) {
  try {
    body();
  } catch (Error& error) {
    if (options.json) print_json(error_to_json(error));
    throw;
  }
}

void print_json(const nlohmann::json& json) {
  std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace espfab::cli
