// `espfab db migrate --profile P`: brings the station DB to the schema this binary knows.
#include <fmt/format.h>

#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station_cli.hpp"

namespace espfab::cli {
namespace {

struct DbArgs {
  std::string profile;
  bool json = false;
};

void migrate(const DbArgs& args) {
  const auto migration = station_service().migrate_db(args.profile);
  if (args.json) {
    print_json({{"from", migration.from}, {"to", migration.to}});
  } else if (migration.from == migration.to) {
    std::cout << fmt::format("station DB already at schema version {}\n", migration.to);
  } else {
    std::cout << fmt::format("station DB migrated from schema version {} to {}\n", migration.from, migration.to);
  }
}

const RegisterGroup kGroup{"db", "The station DB: its schema"};

const RegisterCommand kCommand{{
    "db migrate",
    "Bring the station DB to the schema version this espfab knows (refuses a newer one)",
    [](CLI::App& app) {
      auto args = std::make_shared<DbArgs>();
      app.add_option("--profile", args->profile, "station profile ([station] data_dir holds the DB)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_flag("--json", args->json, "print {from, to}");
      app.footer(
          "Migrations are applied in one transaction; a DB another, newer espfab migrated is refused\n"
          "(exit code of a database error) and left as it is. Safe to run again.\n");
      app.callback([args] { migrate(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
