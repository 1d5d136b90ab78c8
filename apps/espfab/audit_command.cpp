// `espfab audit verify --profile P`: checks the hash chain of the station's audit log.
#include <fmt/format.h>

#include <iostream>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "station_cli.hpp"

namespace espfab::cli {
namespace {

struct AuditArgs {
  std::string profile;
  bool json = false;
};

void verify(const AuditArgs& args) {
  const auto result = station_service().verify_audit(args.profile);
  if (args.json) {
    print_json({{"ok", result.ok},
                {"entries", result.entries},
                {"first_bad_line", result.first_bad_line},
                {"problem", result.problem},
                {"missing", result.missing},
                {"open_intents", result.open_intents}});
  } else if (result.ok) {
    std::cout << fmt::format(
        "audit log intact: {} entries, hash chain verified, every burn and certificate the DB and the CA index know "
        "of has its lines\n",
        result.entries);
  } else if (result.first_bad_line != 0) {
    std::cout << fmt::format("audit log BROKEN at line {}: {} ({} entries verified before it)\n", result.first_bad_line,
                             result.problem, result.entries);
  } else {
    std::cout << fmt::format("audit log INCOMPLETE: {}\n", result.problem);
    for (const auto& line : result.missing) std::cout << "  " << line << "\n";
  }
  if (!args.json) {
    for (const auto& line : result.open_intents) std::cout << "  open: " << line << "\n";
  }
  if (!result.ok) throw ExitRequest{kExitCheckFailed};
}

const RegisterGroup group{"audit", "The station's append-only, hash-chained audit log"};

const RegisterCommand command{{
    "audit verify",
    "Check that no line of the audit log was edited, removed or reordered",
    [](CLI::App& app) {
      auto args = std::make_shared<AuditArgs>();
      app.add_option("--profile", args->profile, "station profile (its [station] data_dir holds audit.jsonl)")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_flag("--json", args->json, "print {ok, entries, first_bad_line, problem}");
      app.footer(
          "Checks the hash chain, then completeness against the station DB and the CA's index: every\n"
          "certificate and every burned eFuse block has its audit lines, and no finished device left a\n"
          "write-ahead intent (efuse.burn.begin, identity.sign.begin) without its completion.\n\n"
          "Exit: 0 intact and complete, 1 broken (the line and the reason) or incomplete (what is missing).\n");
      app.callback([args] { verify(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
