// `espfab run --profile P [--count N]`: the station's main job on the profile's fixtures.
#include <fmt/format.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "dashboard_cli.hpp"
#include "station_cli.hpp"
#include "station_view.hpp"

namespace espfab::cli {
namespace {

std::atomic<bool> g_cancel{false};    // first Ctrl-C (or the dashboard's stop): no new device
std::atomic<bool> g_stop_now{false};  // second Ctrl-C: stop at the next step boundary

void on_signal(int) {
  if (g_cancel.load()) g_stop_now = true;
  g_cancel = true;
}

struct RunArgs {
  std::string profile;
  std::vector<std::string> ports;
  unsigned count = 0;
  unsigned idle_seconds = 0;
  bool json = false;
  bool no_rehearsal = false;
  CLI::Option* ui = nullptr;  // --ui [ADDR:PORT]
  std::string ui_listen;
  DashboardArgs dashboard;
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
                       {"host_cpu_seconds", d.host_cpu_seconds},
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

// The devices still in the fixtures, from the board: "fixture 1 (DEMO-1 at flash-production)".
std::string busy_fixtures(const web::FixtureBoard& board) {
  std::string out;
  const auto snapshot = board.snapshot();
  for (const auto& tile : snapshot["fixtures"]) {
    if (tile["state"] != "running") continue;
    out += fmt::format(
        "{}{} ({} at {})", out.empty() ? "" : ", ", tile["fixture"].get<std::string>(),
        tile["serial"].get<std::string>().empty() ? tile["mac"].get<std::string>() : tile["serial"].get<std::string>(),
        tile["step"].get<std::string>());
  }
  return out.empty() ? "no device (the idle fixtures stop within a second)" : out;
}

// Says on the terminal and on the page what a stop waits for, once per Ctrl-C.
class StopWatcher {
 public:
  explicit StopWatcher(web::FixtureBoard& board) : board_(board), thread_([this] { watch(); }) {}
  ~StopWatcher() {
    done_ = true;
    thread_.join();
  }
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;
  StopWatcher(StopWatcher&&) = delete;
  StopWatcher& operator=(StopWatcher&&) = delete;

 private:
  void watch() {
    bool told_cancel = false;
    bool told_stop = false;
    while (!done_ && !told_stop) {
      if (g_cancel && !told_cancel) {
        told_cancel = true;
        tell(
            fmt::format("stopping: no new device; waiting for the devices in the fixtures to finish: {}. Press Ctrl-C "
                        "again to stop them at their next step boundary (never inside an eFuse burn; they resume "
                        "in the next run)",
                        busy_fixtures(board_)));
      }
      if (g_stop_now && !told_stop) {
        told_stop = true;
        tell(
            fmt::format("stopping now: each device stops before its next step and stays in progress, resumed by "
                        "the next run: {}",
                        busy_fixtures(board_)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  void tell(const std::string& text) {
    std::cerr << "\n" << text << "\n" << std::flush;
    board_.set_banner(text);
  }
  web::FixtureBoard& board_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void run(const RunArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  service::RunRequest request;
  request.profile = args.profile;
  request.ports = args.ports;
  if (args.count > 0) request.count = args.count;
  if (args.idle_seconds > 0) request.idle_timeout = std::chrono::seconds(args.idle_seconds);
  request.cancel = &g_cancel;
  request.stop_now = &g_stop_now;
  request.no_rehearsal = args.no_rehearsal;
  station::FixtureControls controls;
  std::optional<Dashboard> dashboard;
  web::FixtureBoard board({}, {});  // without --ui: what a Ctrl-C waits for
  web::FixtureBoard* live = &board;
  if (args.ui->count() > 0) {
    DashboardArgs ui = args.dashboard;
    if (!args.ui_listen.empty()) ui.listen = args.ui_listen;
    web::StationBackendOptions backend;
    backend.profile = args.profile;
    backend.controls = &controls;
    backend.stop = [] { g_cancel = true; };
    dashboard = start_dashboard(ui, std::move(backend));
    live = dashboard->board.get();
    request.controls = &controls;  // a fault holds its fixture for the engineer on the page
    std::cerr << "dashboard: " << dashboard->server->url() << "\n" << std::flush;
  }
  const StopWatcher watcher(*live);
  const auto view = make_station_view(args.json);
  const auto summary = station_service().run(request, [&](const station::StationEvent& event) {
    live->on(event);
    if (view) view(event);
  });
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
      args->ui = app.add_option("--ui", args->ui_listen,
                                "serve the operator's dashboard on ADDR:PORT (default " +
                                    std::string(kDefaultUiAddress) + "; docs/dashboard.md)")
                     ->expected(0, 1);
      add_dashboard_options(app, args->dashboard);
      app.footer(
          "First the preflight (`espfab check`): a profile with errors is refused (exit 2) before any fixture\n"
          "is opened, and so is one whose content has not passed `espfab check --rehearse` (exit 6).\n"
          "Each fixture waits for a device, runs the steps of docs/station.md (connect, flash the\n"
          "factory test, hardware test, serial, identity, eFuse lock-down, production firmware, verify boot,\n"
          "final lock, register, label) and waits for the next. Ctrl-C: no new device, the devices in the\n"
          "fixtures finish (it says which); a second Ctrl-C stops them at their next step boundary, never\n"
          "inside an eFuse burn (they stay in progress and resume in the next run).\n"
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
