// `espfab run --profile P [--count N]`: the station's main job on the profile's fixtures.
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

std::atomic<bool> g_cancel{false};

struct RunArgs {
  std::string profile;
  std::vector<std::string> ports;
  unsigned count = 0;
  unsigned idle_seconds = 0;
  bool json = false;
  bool no_rehearsal = false;
};

nlohmann::json summary_json(const station::RunSummary& summary) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : summary.devices) {
    devices.push_back({{"fixture", d.fixture},
                       {"serial", d.serial},
                       {"mac", d.mac},
                       {"result", station::to_string(d.outcome)},
                       {"reason", d.reason},
                       {"seconds", d.seconds},
                       {"record", d.record}});
  }
  nlohmann::json fixtures = nlohmann::json::array();
  for (const auto& f : summary.fixtures) {
    fixtures.push_back(
        {{"fixture", f.name}, {"url", f.url}, {"state", station::to_string(f.state)}, {"reason", f.reason}});
  }
  return {{"run_id", summary.run_id},
          {"devices", devices},
          {"fixtures", fixtures},
          {"station_stopped", summary.station_stopped},
          {"seconds", summary.seconds},
          {"records_dir", summary.records_dir.string()},
          {"labels_dir", summary.labels_dir.string()},
          {"database", summary.database},
          {"audit_log", summary.audit_log.string()},
          {"outbox_pending", summary.outbox_pending},
          {"serials_returned", summary.serials_returned},
          {"warnings", summary.warnings}};
}

// Why the run exits non-zero (docs/cli.md): a fixture that did not finish normally (a device fault,
// a port that could not be opened, a station error), or devices that were all rejected.
std::vector<std::string> run_problems(const station::RunSummary& summary) {
  std::vector<std::string> problems;
  if (!summary.station_stopped.empty()) problems.push_back("the station stopped: " + summary.station_stopped);
  for (const auto& f : summary.fixtures) {
    if (f.state != station::FixtureState::Finished) {
      problems.push_back(fmt::format("{} ({}) {}: {}", f.name, f.url, station::to_string(f.state), f.reason));
    }
  }
  std::size_t handled = 0, rejected = 0;
  for (const auto& d : summary.devices) {
    if (d.outcome == station::DeviceOutcome::Skipped) continue;
    ++handled;
    if (d.outcome == station::DeviceOutcome::Rejected) ++rejected;
  }
  if (handled > 0 && rejected == handled) {
    problems.push_back(fmt::format("every device ({}) was rejected: check the line before the next batch", handled));
  }
  return problems;
}

void run(const RunArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, [](int) { g_cancel = true; });
  std::signal(SIGTERM, [](int) { g_cancel = true; });
  service::RunRequest request;
  request.profile = args.profile;
  request.ports = args.ports;
  if (args.count > 0) request.count = args.count;
  if (args.idle_seconds > 0) request.idle_timeout = std::chrono::seconds(args.idle_seconds);
  request.cancel = &g_cancel;
  request.no_rehearsal = args.no_rehearsal;
  const auto summary = station_service().run(request, make_station_view(args.json));
  const auto problems = run_problems(summary);
  if (args.json) {
    print_json(summary_json(summary));
  } else {
    std::cout << fmt::format("{} device(s) in {:.1f} s\n", summary.devices.size(), summary.seconds)
              << device_table(summary.devices)
              << fmt::format("records: {}\nlabels:  {}\naudit:   {}\n", summary.records_dir.string(),
                             summary.labels_dir.string(), summary.audit_log.string());
    if (summary.outbox_pending > 0) {
      std::cout << fmt::format(
          "outbox:  {} registration(s)/label(s) still queued (broker or printer unreachable); the next run retries "
          "them, `espfab report --device SERIAL` shows each one's last error\n",
          summary.outbox_pending);
    }
  }
  if (!problems.empty()) {
    std::cerr << "the run did not end cleanly:\n";
    for (const auto& problem : problems) std::cerr << "  " << problem << "\n";
    throw ExitRequest{kExitCheckFailed};
  }
}

const RegisterCommand kCommand{{
    "run",
    "Run the station: provision every device that arrives on the profile's fixtures",
    [](CLI::App& app) {
      auto args = std::make_shared<RunArgs>();
      app.add_option("--profile", args->profile, "station profile (TOML; docs/station-profile.md)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--port", args->ports, "fixture port URL instead of the profile's [fixtures] (repeatable)");
      app.add_option("--count", args->count, "stop after this many devices (all fixtures together)");
      app.add_option("--idle-timeout", args->idle_seconds, "a fixture stops when no new device came for this long (s)");
      app.add_flag("--json", args->json, "print the run summary as JSON (no live view)");
      app.add_flag("--no-rehearsal", args->no_rehearsal,
                   "run a profile that has not passed `espfab check --rehearse` (the audit log records it)");
      app.footer(
          "First the preflight (`espfab check`): a profile with errors is refused (exit 2) before any fixture\n"
          "is opened, and so is one whose content has not passed `espfab check --rehearse` (exit 6).\n"
          "Each fixture waits for a device, runs the steps of docs/station.md (connect, flash the\n"
          "factory test, hardware test, serial, identity, eFuse lock-down, production firmware, verify boot,\n"
          "final lock, register, label) and waits for the next. Ctrl-C stops between devices.\n"
          "A killed station resumes each device at its first step not proven done.\n\n"
          "Exit: 0 every fixture finished normally; 1 a fixture stopped (a device fault, a port that\n"
          "could not be opened, a station error: DB, disk, CA) or every device was rejected (--json:\n"
          "`fixtures` gives each fixture's state and reason); 2 the preflight found errors; 6 the profile\n"
          "is not rehearsed.\n\n"
          "Example:\n  espfab run --profile station.toml --count 100\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
