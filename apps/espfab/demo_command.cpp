// `espfab demo`: the main job end to end on embedded defaults — a demo CA and Secure Boot key,
// images built and signed by espfab, six emulated devices (one with a stuck GPIO, one with a
// noisy cable), provisioned in parallel over rfc2217:// by the real station.
#include <fmt/format.h>

#include <csignal>
#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station_cli.hpp"
#include "station_view.hpp"

namespace espfab::cli {
namespace {

struct DemoArgs {
  std::string dir = "espfab-demo";
  std::string emulator;
  unsigned devices = 6;
  bool realtime = false;
  bool json = false;
  unsigned app_kib = 256;
  bool assets_only = false;
};

void run(const DemoArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  service::DemoRequest request;
  request.dir = std::filesystem::absolute(args.dir);
  request.emulator = args.emulator.empty() ? default_emulator_program() : std::filesystem::path(args.emulator);
  request.devices = args.devices;
  request.realtime = args.realtime;
  request.production_app_code = std::size_t{args.app_kib} * 1024;
  request.run = !args.assets_only;
  if (!args.json) {
    std::cerr << fmt::format("espfab demo: {} emulated ESP32-S3 fixtures (realtime link model {}), data in {}\n",
                             args.devices, args.realtime ? "on" : "off", request.dir.string());
  }
  const auto result = station_service().demo(request, make_station_view(args.json));
  if (args.assets_only) {
    std::cout << fmt::format("demo assets ready: {}\n", result.profile.string());
    return;
  }
  const auto& summary = result.summary;
  // The demo is right when every healthy device is provisioned (and registered and labelled) and
  // every faulty one is not.
  bool as_planned = summary.devices.size() == result.devices.size() && summary.outbox_pending == 0;
  for (const auto& d : summary.devices) {
    for (const auto& planned : result.devices) {
      if (planned.mac != d.mac) continue;
      const bool rejects = planned.fault.find("gpio_stuck") != std::string::npos;
      as_planned =
          as_planned && d.outcome == (rejects ? station::DeviceOutcome::Rejected : station::DeviceOutcome::Provisioned);
    }
  }
  if (args.json) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : summary.devices) {
      devices.push_back({{"serial", d.serial},
                         {"mac", d.mac},
                         {"result", station::to_string(d.outcome)},
                         {"reason", d.reason},
                         {"seconds", d.seconds}});
    }
    print_json({{"devices", devices},
                {"records_dir", summary.records_dir.string()},
                {"labels_dir", summary.labels_dir.string()},
                {"audit_log", summary.audit_log.string()},
                {"seconds", summary.seconds},
                {"registration", result.registration},
                {"outbox_pending", summary.outbox_pending},
                {"rehearsal", service::to_json(result.rehearsal)},
                {"as_planned", as_planned}});
  } else {
    std::cout << fmt::format("\nrehearsal on one virtual chip: {} in {:.1f} s ({})\n",
                             result.rehearsal.passed ? "passed" : "FAILED", result.rehearsal.seconds,
                             result.rehearsal.dir.string());
    std::cout << fmt::format("\n{} devices in {:.1f} s\n", summary.devices.size(), summary.seconds)
              << device_table(summary.devices) << "\nfaults injected by the emulator:\n";
    for (const auto& planned : result.devices) {
      if (!planned.fault.empty()) std::cout << fmt::format("  {}  {}\n", planned.mac, planned.fault);
    }
    std::cout << fmt::format(
        "\nregistered with: {}{}\nrecords:  {}\nlabels:   {}\naudit:    {}  (espfab audit verify --profile {})\n"
        "report:   espfab report --profile {}\n",
        result.registration,
        summary.outbox_pending ? fmt::format(" ({} still queued)", summary.outbox_pending) : std::string(),
        summary.records_dir.string(), summary.labels_dir.string(), summary.audit_log.string(), result.profile.string(),
        result.profile.string());
  }
  if (!as_planned) throw ExitRequest{kExitCheckFailed};
}

const RegisterCommand kCommand{{
    "demo",
    "Provision six emulated ESP32-S3 devices end to end with a demo CA and Secure Boot key",
    [](CLI::App& app) {
      auto args = std::make_shared<DemoArgs>();
      app.add_option("--dir", args->dir, "where the demo keeps its CA, keys, images and station data")
          ->capture_default_str();
      app.add_option("--devices", args->devices, "emulated fixtures")
          ->capture_default_str()
          ->check(CLI::Range(2u, 64u));
      app.add_option("--emulator", args->emulator, "the espfab-emu program (default: next to espfab)");
      app.add_flag("--realtime", args->realtime, "true-to-life UART and flash timing (slower)");
      app.add_option("--app-kib", args->app_kib, "code size of the demo's production app (KiB)")
          ->capture_default_str()
          ->check(CLI::Range(4u, 3000u));
      app.add_flag("--assets-only", args->assets_only,
                   "only make the CA, key, images and station.toml (for `espfab run` and benchmarks)");
      app.add_flag("--json", args->json,
                   "print {\"devices\":[{serial,mac,result,reason,seconds}],\"records_dir\",\"labels_dir\"}");
      app.footer(
          "First run: creates a demo CA (DIR/ca) and a Secure Boot V2 key (DIR/keys, 0600). Every run:\n"
          "builds and signs the images, writes DIR/station.toml, rehearses it on one virtual chip (as\n"
          "`espfab check --rehearse` does), starts espfab-emu with the devices behind rfc2217://, and runs\n"
          "the station on them (preflight check first): flash + hardware test, serial, certificate,\n"
          "esp_secure_cert, flash encryption + Secure Boot + JTAG off, encrypted production firmware, verified\n"
          "boot, secure download mode, registration with a local Mosquitto (dynamic security, client\n"
          "certificates; the manifest when mosquitto is not installed), a QR label (PNG) per device.\n"
          "Device 1 has a stuck GPIO (rejected by the hardware test); device 3 a noisy cable (retried).\n\n"
          "Exit: 0 when every device ended as planned, 1 otherwise.\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
