// `espfab register --profile P DEVICE` and `espfab deregister --profile P DEVICE`: put a device on
// the broker's allowed list by hand, or take it off.
#include <iostream>

#include "command_registry.hpp"
#include "station_cli.hpp"

namespace espfab::cli {
namespace {

struct RegisterArgs {
  std::string profile;
  std::string device;
};

void add_arguments(CLI::App& app, RegisterArgs& args) {
  app.add_option("--profile", args.profile, "station profile (its [registration] names the broker or the manifest)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("DEVICE", args.device, "serial number or MAC (as in `espfab report`)")->required();
}

const RegisterCommand kRegisterCommand{{
    "register",
    "Register a provisioned device with the broker's allowed list (or the manifest) now",
    [](CLI::App& app) {
      auto args = std::make_shared<RegisterArgs>();
      add_arguments(app, *args);
      app.footer(
          "The station registers every device itself (step `register`); when the broker was down the\n"
          "registration waits in the outbox and the next run retries it. This command does it at once,\n"
          "with the certificate the station DB holds, and marks the queued registration delivered.\n"
          "With Mosquitto Dynamic Security the device becomes a client named by its certificate's CN,\n"
          "allowed to publish and subscribe under <topic_prefix>/<serial>/# only. Registering twice is\n"
          "success; another certificate under the same serial is refused until it is deregistered.\n\n"
          "Example:\n  espfab register --profile station.toml ESP-000123\n");
      app.callback([args] { std::cout << station_service().register_device(args->profile, args->device) << "\n"; });
    },
}};

const RegisterCommand kDeregisterCommand{{
    "deregister",
    "Remove a device from the broker's allowed list (deleteClient: its certificate no longer works)",
    [](CLI::App& app) {
      auto args = std::make_shared<RegisterArgs>();
      add_arguments(app, *args);
      app.footer(
          "Deletes the device's dynsec client and role. (disableClient would not stop a certificate\n"
          "login.) A device that is not registered is success. DEVICE may also be a bare device id\n"
          "that this station's DB does not know.\n\n"
          "Example:\n  espfab deregister --profile station.toml ESP-000123\n");
      app.callback([args] { std::cout << station_service().deregister_device(args->profile, args->device) << "\n"; });
    },
}};

}  // namespace
}  // namespace espfab::cli
