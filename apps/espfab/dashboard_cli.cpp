#include "dashboard_cli.hpp"

#include <fmt/format.h>

#include "station/provisioning_steps.hpp"
#include "station_cli.hpp"
#include "util/error.hpp"

namespace espfab::cli {

void add_dashboard_options(CLI::App& app, DashboardArgs& args) {
  app.add_option("--ui-users", args.users,
                 "the dashboard's users file (mode 0600; `espfab ui-adduser`); without it nobody can log in");
  app.add_option("--ui-cert", args.certificate, "serve the dashboard over HTTPS with this PEM certificate")
      ->check(CLI::ExistingFile);
  app.add_option("--ui-key", args.key, "the certificate's PEM key")->check(CLI::ExistingFile);
  app.add_option("--ui-since", args.since,
                 "the shift's start for the dashboard's numbers, as `report --since` takes it (default: every device)");
}

Dashboard start_dashboard(const DashboardArgs& args, web::StationBackendOptions backend_options) {
  web::DashboardOptions options;
  const auto colon = args.listen.rfind(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no port");
    options.address = args.listen.substr(0, colon);
    if (options.address.size() > 2 && options.address.front() == '[') {
      options.address = options.address.substr(1, options.address.size() - 2);
    }
    std::size_t used = 0;
    options.port = std::stoi(args.listen.substr(colon + 1), &used);
    if (used != args.listen.size() - colon - 1 || options.port < 0 || options.port > 65535) {
      throw std::invalid_argument("port");
    }
  } catch (const std::exception&) {
    throw BadInputError("ui.address", fmt::format("'{}' is not ADDR:PORT", args.listen),
                        fmt::format("e.g. --ui {} (0.0.0.0:8460 to listen on every interface)", kDefaultUiAddress));
  }
  if (!args.users.empty()) options.users = args.users;
  if (!args.certificate.empty()) options.tls_certificate = args.certificate;
  if (!args.key.empty()) options.tls_key = args.key;
  backend_options.since = args.since;
  std::vector<std::string> steps;
  for (const auto& step : station::provisioning_steps()) steps.push_back(step.name);
  Dashboard dashboard;
  dashboard.board = std::make_unique<web::FixtureBoard>(steps, std::vector<std::string>{});
  dashboard.service = std::make_unique<service::StationService>(station_service());
  dashboard.backend = std::make_unique<web::StationBackend>(*dashboard.service, std::move(backend_options));
  dashboard.server = std::make_unique<web::DashboardServer>(options, *dashboard.board, *dashboard.backend);
  return dashboard;
}

}  // namespace espfab::cli
