// `espfab report --profile P [--device MAC|SERIAL] [--since T] [--csv|--json]`: what the station DB
// says about its devices.
#include <fmt/format.h>

#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station_cli.hpp"

namespace espfab::cli {
namespace {

struct ReportArgs {
  std::string profile;
  service::ReportFilter filter;
  bool csv = false;
  bool json = false;
};

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void run(const ReportArgs& args) {
  const auto rows = station_service().report(args.profile, args.filter);
  if (!args.filter.device.empty() || args.json) {
    print_json(args.filter.device.empty() ? nlohmann::json(rows) : rows.front());
    return;
  }
  const char* columns[] = {"serial", "mac", "status", "updated", "certificate_sha256", "reason"};
  if (args.csv) {
    std::cout << "serial,mac,status,updated,certificate_sha256,reason\n";
    for (const auto& row : rows) {
      std::string line;
      for (const char* c : columns) line += (line.empty() ? "" : ",") + csv_field(row.value(c, ""));
      std::cout << line << "\n";
    }
    return;
  }
  std::cout << fmt::format("{:<13} {:<18} {:<12} {:<25} {}\n", "SERIAL", "MAC", "STATUS", "UPDATED", "REASON");
  for (const auto& row : rows) {
    std::cout << fmt::format("{:<13} {:<18} {:<12} {:<25} {}\n", row.value("serial", "-"), row.value("mac", ""),
                             row.value("status", ""), row.value("updated", ""), row.value("reason", ""));
  }
}

const RegisterCommand kCommand{{
    "report",
    "List the station's devices, or one device's complete record, from the station DB",
    [](CLI::App& app) {
      auto args = std::make_shared<ReportArgs>();
      app.add_option("--profile", args->profile, "station profile (its [station] data_dir holds the DB)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--device", args->filter.device, "one device's full record (MAC or serial), as JSON");
      app.add_option("--since", args->filter.since, "devices updated at or after this ISO-8601 time (2026-12-02)");
      app.add_flag("--csv", args->csv, "CSV instead of a table");
      app.add_flag("--json", args->json, "JSON instead of a table");
      app.footer("Example:\n  espfab report --profile station.toml --since 2026-12-01 --csv > today.csv\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
