// What `espfab run --ui` and `espfab ui` share: the dashboard's options (address, users file,
// TLS certificate) and starting it over a station profile.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "service/station_service.hpp"
#include "web/dashboard_backend.hpp"
#include "web/dashboard_server.hpp"
#include "web/fixture_board.hpp"

namespace espfab::cli {

inline constexpr const char* kDefaultUiAddress = "127.0.0.1:8460";

struct DashboardArgs {
  std::string listen = kDefaultUiAddress;  // ADDR:PORT
  std::string users;
  std::string certificate;
  std::string key;
  std::string since;
};

// --ui-users, --ui-cert, --ui-key, --ui-since (the `run --ui` spelling; `ui` uses the same names).
void add_dashboard_options(CLI::App& app, DashboardArgs& args);

// The running dashboard: its board (fed by the caller), backend and server.
struct Dashboard {
  std::unique_ptr<web::FixtureBoard> board;
  std::unique_ptr<service::StationService> service;
  std::unique_ptr<web::StationBackend> backend;
  std::unique_ptr<web::DashboardServer> server;
};

// Starts the server for `profile` (throws BadInputError("ui.address") for an ADDR:PORT it cannot read).
Dashboard start_dashboard(const DashboardArgs& args, web::StationBackendOptions backend_options);

}  // namespace espfab::cli
