// `espfab device status|resume|scrap DEVICE --profile P [--reason TEXT]`: the operator's way out of
// a fault. Each action is an audit line with the reason and the operator.
#include <fmt/format.h>

#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station_cli.hpp"

namespace espfab::cli {
namespace {

struct DeviceArgs {
  std::string profile;
  std::string device;
  std::string reason;
  bool json = false;
};

void print(const nlohmann::json& result, bool json) {
  if (json) {
    print_json(result);
    return;
  }
  std::cout << fmt::format("{}  {}  {}{}\n", result.value("serial", "-"), result.value("mac", ""),
                           result.value("status", ""),
                           result.value("reason", "").empty() ? "" : "  (" + result.value("reason", "") + ")");
  if (result.contains("last_step")) {
    const auto& last = result["last_step"];
    std::cout << fmt::format("last step: {} {}{}\n", last.value("name", ""), last.value("outcome", ""),
                             last.value("error", "").empty() ? "" : ": " + last.value("error", ""));
  }
  for (const char* key : {"what_now", "next", "certificate_revoked"}) {
    if (result.contains(key) && !result[key].get<std::string>().empty()) {
      std::cout << fmt::format("{}: {}\n", key, result[key].get<std::string>());
    }
  }
}

void add_common(CLI::App& app, const std::shared_ptr<DeviceArgs>& args) {
  app.add_option("DEVICE", args->device, "the device's MAC or serial number")->required();
  app.add_option("--profile", args->profile, "station profile (its data_dir holds the station DB)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_flag("--json", args->json, "print the result as JSON");
}

const RegisterGroup kGroup{"device", "One device's state, and the operator's recovery from a fault"};

const RegisterCommand kStatus{{
    "device status",
    "Show a device's status, its last step and what to do next",
    [](CLI::App& app) {
      auto args = std::make_shared<DeviceArgs>();
      add_common(app, args);
      app.callback([args] { print(station_service().device_status(args->profile, args->device), args->json); });
    },
}};

const RegisterCommand kResume{{
    "device resume",
    "Let a faulted device resume where it stopped, the next time its fixture sees it",
    [](CLI::App& app) {
      auto args = std::make_shared<DeviceArgs>();
      add_common(app, args);
      app.add_option("--reason", args->reason, "why (goes into the audit log)")->required();
      app.footer(
          "The device's status becomes in_progress; the station then runs the resume logic as after a\n"
          "crash: every step the DB shows done is skipped, the eFuse plan is re-made from its first\n"
          "snapshot, nothing is burned twice. With [station] auto_resume = true (the default) a faulted\n"
          "device whose eFuses its plan explains resumes without this command.\n\n"
          "Exit: 0 done, 2 unknown device or no reason, 6 the device is not faulted.\n");
      app.callback(
          [args] { print(station_service().device_resume(args->profile, args->device, args->reason), args->json); });
    },
}};

const RegisterCommand kScrap{{
    "device scrap",
    "Retire a device for good: status scrapped, its certificate revoked",
    [](CLI::App& app) {
      auto args = std::make_shared<DeviceArgs>();
      add_common(app, args);
      app.add_option("--reason", args->reason, "why (goes into the audit log)")->required();
      app.footer(
          "The station never touches a scrapped device again. Its certificate is revoked in the station\n"
          "DB (device record: revoked_certificates); deregister it from the broker with `espfab deregister`.\n\n"
          "Exit: 0 done, 2 unknown device or no reason, 6 already scrapped.\n");
      app.callback(
          [args] { print(station_service().device_scrap(args->profile, args->device, args->reason), args->json); });
    },
}};

}  // namespace
}  // namespace espfab::cli
