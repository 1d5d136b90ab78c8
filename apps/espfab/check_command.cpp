// `espfab check --profile P [--json]`: the station profile's preflight — everything that can be
// proven without a device, before anything irreversible happens to one.
#include <fmt/format.h>

#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station_cli.hpp"
#include "station_view.hpp"

namespace espfab::cli {
namespace {

struct CheckArgs {
  std::string profile;
  bool json = false;
  bool offline = false;
  bool rehearse = false;
  std::string emulator;
  std::string idf_build;
};

// The rehearsal after a passed check: one virtual chip, the exact profile.
void rehearse(const CheckArgs& args) {
  service::RehearsalRequest request;
  request.profile = args.profile;
  request.emulator = args.emulator.empty() ? default_emulator_program() : std::filesystem::path(args.emulator);
  const auto result = station_service().rehearse(request, make_station_view(args.json));
  if (args.json) {
    print_json(service::to_json(result));
  } else {
    std::cout << fmt::format("rehearsal: {} in {:.1f} s{}\n", result.passed ? "passed" : "FAILED", result.seconds,
                             result.passed ? "" : ": " + result.reason);
    std::cout << "  proven with the real images, keys and plan:\n";
    for (const auto& c : result.real) std::cout << fmt::format("    {:<26} {}\n", c.what, c.how);
    std::cout << "  modelled (stand-ins for what the virtual chip cannot run or must not touch):\n";
    for (const auto& c : result.modelled) std::cout << fmt::format("    {:<26} {}\n", c.what, c.how);
    if (!result.device.record.empty()) std::cout << fmt::format("  record: {}\n", result.device.record);
  }
  if (!result.passed) throw ExitRequest{kExitCheckFailed};
}

void check(const CheckArgs& args) {
  station::PreflightOptions options;
  options.probe_targets = !args.offline;
  if (!args.idf_build.empty() && args.rehearse) {
    throw BadInputError("cli.idf_build_rehearse",
                        "--idf-build checks a build against the profile; a rehearsal proves the profile file as it is",
                        "set [images] idf_build in the profile, then run `espfab check --rehearse`");
  }
  const auto report = args.idf_build.empty()
                          ? station_service().check(args.profile, options)
                          : station_service().check_with_idf_build(args.profile, args.idf_build, options);
  if (args.json) {
    if (!args.rehearse || !report.passed()) print_json(station::to_json(report));
  } else {
    for (const auto& f : report.findings) {
      std::cout << fmt::format("{}[{}]: {}: {}\n  hint: {}\n", station::severity_name(f.severity), f.check, f.where,
                               f.message, f.hint);
    }
    std::cout << fmt::format("{}: {} checks, {} error(s), {} warning(s){}\n", report.profile.string(),
                             report.checks.size(), report.errors(), report.warnings(),
                             report.passed() ? "; the profile may run" : "; `espfab run` refuses it");
    if (!report.content_hash.empty()) std::cout << fmt::format("content hash: {}\n", report.content_hash);
  }
  if (!report.passed()) throw ExitRequest{kExitBadInput};
  if (args.rehearse) rehearse(args);
}

const RegisterCommand kCommand{{
    "check",
    "Preflight a station profile: everything that can be proven without a device",
    [](CLI::App& app) {
      auto args = std::make_shared<CheckArgs>();
      app.add_option("--profile", args->profile, "station profile (TOML; docs/station-profile.md)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_flag("--json", args->json,
                   "print {profile, passed, errors, warnings, checks, findings:[{severity, check, where, message, "
                   "hint}], content_hash}");
      app.add_flag("--offline", args->offline, "do not try to reach the broker or the label printer");
      app.add_flag("--rehearse", args->rehearse,
                   "then run the profile end to end on one virtual chip (espfab-emu) and record the result; "
                   "`espfab run` refuses a profile that has not passed one");
      app.add_option("--emulator", args->emulator, "the espfab-emu program for --rehearse (default: next to espfab)");
      app.add_option("--idf-build", args->idf_build,
                     "check this ESP-IDF build directory in place of the profile's images: its files, and its "
                     "sdkconfig against the profile (docs/idf-build.md)")
          ->check(CLI::ExistingDirectory);
      app.footer(
          "`espfab run` runs the same check before it opens a fixture and refuses a profile with errors.\n"
          "Checked (docs/station.md, \"Preflight\"): every value against the formats it flows into (serial\n"
          "prefix, certificate CN and subject templates: X.509, MQTT topic, file name, QR payload); the CA\n"
          "(a CA, keyCertSign, valid now and for the device certificates' lifetime, key matches, chains to\n"
          "the broker's trust); the images (chip, partitions exist and fit, signed by exactly the profile's\n"
          "Secure Boot keys, the eFuse plan for a new chip accepted, flash size, the firmware contract's\n"
          "markers); Secure Boot and flash encryption on unless the profile opts out explicitly; the\n"
          "broker and label printer reachable (warnings).\n\n"
          "--rehearse then provisions one virtual chip with the exact profile: the real images, Secure Boot\n"
          "signatures, eFuse plan, partition table and identity container, with a throw-away CA, a manifest\n"
          "and label files standing in for the company CA, the broker and the printer. The chip must boot\n"
          "locked with its identity. The result is kept in DATA_DIR/rehearsals.jsonl by content hash\n"
          "(profile + images + keys' public parts + CA certificate).\n\n"
          "Exit: 0 no errors (warnings allowed) and, with --rehearse, the rehearsal passed; 2 at least one\n"
          "error (no rehearsal is tried); 1 the rehearsal failed.\n\n"
          "Examples:\n  espfab check --profile station.toml\n"
          "  espfab check --profile station.toml --idf-build ~/my-product/build\n");
      app.callback([args] { check(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
