// `espfab report --profile P [--device MAC|SERIAL] [--since T] [--summary [--by K]] [--csv|--json]`:
// what the station DB says about its devices, and the factory's figures.
#include <fmt/format.h>

#include <iostream>

#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station/production_summary.hpp"
#include "station_cli.hpp"
#include "util/csv.hpp"
#include "util/error.hpp"

namespace espfab::cli {
namespace {

struct ReportArgs {
  std::string profile;
  service::ReportFilter filter;
  bool summary = false;
  std::string by;
  bool csv = false;
  bool json = false;
};

std::string text(const nlohmann::json& row, const char* key) {
  const auto& value = row.contains(key) ? row[key] : nlohmann::json();
  if (value.is_string()) return value.get<std::string>();
  return value.is_null() ? std::string() : value.dump();
}

std::string percent(const nlohmann::json& value) {
  return value.is_null() ? std::string("-") : fmt::format("{:.1f} %", 100.0 * value.get<double>());
}

void print_figures(const std::string& title, const nlohmann::json& f) {
  std::cout << fmt::format("{}: {} devices ({} provisioned, {} rejected, {} fault, {} scrapped, {} in progress)\n",
                           title, text(f, "devices"), text(f, "provisioned"), text(f, "rejected"), text(f, "fault"),
                           text(f, "scrapped"), text(f, "in_progress"));
  std::cout << fmt::format("  yield {}   first-pass yield {}   retests {}\n", percent(f["yield"]),
                           percent(f["first_pass_yield"]), text(f, "retests"));
  if (!f["rejects"].empty()) std::cout << "  rejects (Pareto):\n";
  for (const auto& r : f["rejects"]) {
    std::cout << fmt::format("    {:>5}  {:>5.1f} %  {}\n", text(r, "count"), r["cumulative_percent"].get<double>(),
                             text(r, "reason"));
  }
  if (!f["steps"].empty()) std::cout << fmt::format("  {:<24} {:>6} {:>9} {:>9}\n", "step", "runs", "mean s", "p95 s");
  for (const auto& s : f["steps"]) {
    std::cout << fmt::format("  {:<24} {:>6} {:>9.2f} {:>9.2f}\n", text(s, "step"), text(s, "count"),
                             s["mean_s"].get<double>(), s["p95_s"].get<double>());
  }
}

void run_summary(const ReportArgs& args) {
  const auto summary = station_service().report_summary(args.profile, args.filter.since, args.by);
  if (args.json) {
    print_json(summary);
    return;
  }
  if (args.csv) {
    std::cout << station::production_summary_csv(summary);
    return;
  }
  print_figures(args.filter.since.empty() ? std::string("all time") : "since " + text(summary, "since"),
                summary["total"]);
  for (const auto& g : summary["groups"]) print_figures(text(summary, "by") + " " + text(g, "group"), g);
}

void run(const ReportArgs& args) {
  if (!args.by.empty() && !args.summary) {
    throw BadInputError("cli.report_by", "--by groups a summary and was given without --summary",
                        "add --summary (espfab report --profile P --summary --by station)");
  }
  if (args.summary) {
    run_summary(args);
    return;
  }
  const auto rows = station_service().report(args.profile, args.filter);
  if (!args.filter.device.empty() || args.json) {
    print_json(args.filter.device.empty() ? nlohmann::json(rows) : rows.front());
    return;
  }
  const std::vector<const char*> columns = {
      "serial", "mac", "status", "fixture", "station", "attempts", "updated", "certificate_sha256", "reason"};
  if (args.csv) {
    std::cout << csv_record(std::vector<std::string>(columns.begin(), columns.end()));
    for (const auto& row : rows) {
      std::vector<std::string> fields;
      fields.reserve(columns.size());
      for (const char* c : columns) fields.push_back(text(row, c));
      std::cout << csv_record(fields);
    }
    return;
  }
  std::cout << fmt::format("{:<13} {:<18} {:<12} {:<25} {}\n", "SERIAL", "MAC", "STATUS", "UPDATED", "REASON");
  for (const auto& row : rows) {
    const auto serial = text(row, "serial");
    std::cout << fmt::format("{:<13} {:<18} {:<12} {:<25} {}\n", serial.empty() ? "-" : serial, text(row, "mac"),
                             text(row, "status"), text(row, "updated"), text(row, "reason"));
  }
}

const RegisterCommand kCommand{{
    "report",
    "List the station's devices, one device's complete record, or the line's yield, from the station DB",
    [](CLI::App& app) {
      auto args = std::make_shared<ReportArgs>();
      app.add_option("--profile", args->profile, "station profile (its [station] data_dir holds the DB)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--device", args->filter.device, "one device's full record (MAC or serial), as JSON");
      app.add_option("--since", args->filter.since,
                     "devices updated from then on: 2026-12-02, 2026-12-02T08:00 (UTC), today, yesterday, 7d, 12h");
      app.add_flag("--summary", args->summary,
                   "yield, first-pass yield, retests, reject Pareto, mean and p95 time per step");
      app.add_option("--by", args->by, "with --summary: one group per station, fixture, day or reason")
          ->check(CLI::IsMember({"station", "fixture", "day", "reason"}));
      app.add_flag("--csv", args->csv, "CSV (RFC 4180) instead of a table");
      app.add_flag("--json", args->json, "JSON instead of a table");
      app.footer(
          "Examples:\n"
          "  espfab report --profile station.toml --since yesterday --csv > devices.csv\n"
          "  espfab report --profile station.toml --summary --since 7d --by station\n"
          "The DB alone is read: an archived data dir without the profile's images and keys works.\n");
      app.callback([args] { run(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
