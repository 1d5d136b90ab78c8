// `espfab ui --profile P`: the dashboard as a read-only view of a station's data dir (or its shared
// database), live from the station's events log; `espfab ui-adduser`: a users file entry.
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "command_registry.hpp"
#include "dashboard_cli.hpp"
#include "station/station_profile.hpp"
#include "util/secret_bytes.hpp"
#include "web/event_tail.hpp"
#include "web/users_file.hpp"

namespace espfab::cli {
namespace {

std::atomic<bool> g_quit{false};

struct UiArgs {
  std::string profile;
  DashboardArgs dashboard;
};

void serve(const UiArgs& args) {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, [](int) { g_quit = true; });
  std::signal(SIGTERM, [](int) { g_quit = true; });
  const auto profile = station::load_station_profile(args.profile, station::ProfileUse::Records);
  web::StationBackendOptions backend;
  backend.profile = args.profile;
  backend.read_only = true;
  auto dashboard = start_dashboard(args.dashboard, std::move(backend));
  const web::EventTail tail(profile.data_dir / "events.jsonl", *dashboard.board);
  std::cerr << fmt::format("dashboard (read-only view of {}): {}\nCtrl-C ends it\n", profile.data_dir.string(),
                           dashboard.server->url())
            << std::flush;
  while (!g_quit) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  dashboard.server->stop();
}

// One line from stdin without echo on a terminal; wiped by the caller.
std::string read_password() {
  termios saved{};
  const bool tty = ::isatty(STDIN_FILENO) != 0 && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    std::cerr << "password: " << std::flush;
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  return password;
}

struct AddUserArgs {
  std::string users;
  std::string name;
  std::string role;
};

void add_user(const AddUserArgs& args) {
  const auto role = web::parse_role(args.role);
  std::string password = read_password();
  try {
    web::save_user(args.users, web::make_user(args.name, role, password));
  } catch (...) {
    secure_wipe(password.data(), password.size());
    throw;
  }
  secure_wipe(password.data(), password.size());
  std::cout << fmt::format("{} ({}) added to {} (mode 0600)\n", args.name, args.role, args.users);
}

const RegisterCommand kView{{
    "ui",
    "Serve the dashboard as a read-only view of a station's data dir (or its shared database)",
    [](CLI::App& app) {
      auto args = std::make_shared<UiArgs>();
      app.add_option("--profile", args->profile, "station profile (its data_dir and database)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--listen", args->dashboard.listen, "ADDR:PORT to serve on")->default_str(kDefaultUiAddress);
      add_dashboard_options(app, args->dashboard);
      app.footer(
          "The page follows <data_dir>/events.jsonl of the station running there (once a second) and\n"
          "shows the shift's numbers from its database; no action works here (use `espfab run --ui`).\n\n"
          "Example:\n  espfab ui --profile station.toml --listen 0.0.0.0:8460 --ui-cert ui.pem --ui-key ui.key\n");
      app.callback([args] { serve(*args); });
    },
}};

const RegisterCommand kAddUser{{
    "ui-adduser",
    "Add (or replace) a dashboard user: the password is read from stdin, stored as a salted PBKDF2 hash",
    [](CLI::App& app) {
      auto args = std::make_shared<AddUserArgs>();
      app.add_option("--users", args->users, "the users file (created with mode 0600)")->required();
      app.add_option("--name", args->name, "the user's login name")->required();
      app.add_option("--role", args->role, "operator or engineer")->required();
      app.footer("Example:\n  espfab ui-adduser --users /etc/espfab/ui-users --name anna --role engineer\n");
      app.callback([args] { add_user(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
