// espfab: the command-line front end. Subcommands live one per file and register themselves.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "chip/esp32s3.hpp"
#include "cli_support.hpp"
#include "command_names.hpp"
#include "command_registry.hpp"
#include "global_options.hpp"
#include "loader/stub_locator.hpp"
#include "usage_errors.hpp"
#include "util/file_io.hpp"
#include "util/log.hpp"

namespace espfab::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> commands;
  return commands;
}

std::vector<GroupSpec>& group_registry() {
  static std::vector<GroupSpec> groups;
  return groups;
}

namespace {

std::string group_description(const std::string& path) {
  for (const auto& group : group_registry())
    if (group.path == path) return group.description;
  return {};
}

// Creates "image" for "image info" on first use, then "info" below it.
CLI::App& subcommand_for(CLI::App& root, const std::string& path, const std::string& description,
                         std::map<std::string, CLI::App*>& made) {
  std::istringstream words(path);
  std::string word;
  std::string prefix;
  CLI::App* parent = &root;
  std::vector<std::string> parts;
  while (words >> word) parts.push_back(word);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    prefix += (prefix.empty() ? "" : " ") + parts[i];
    auto found = made.find(prefix);
    if (found == made.end()) {
      const bool leaf = i + 1 == parts.size();
      CLI::App* sub = parent->add_subcommand(parts[i], leaf ? description : group_description(prefix));
      if (!leaf) sub->require_subcommand(1);
      found = made.emplace(prefix, sub).first;
    }
    parent = found->second;
  }
  return *parent;
}

// esptool's --chip: espfab provisions one chip and detects it, so "esp32s3" and "auto" are all it takes.
void check_chip_option(const std::string& name) {
  if (name == chip::kEsp32s3.esptool_name || name == "auto") return;
  static const std::vector<std::string> esptool_chips{"esp8266", "esp32",   "esp32s2",  "esp32s3", "esp32c2", "esp32c3",
                                                      "esp32c5", "esp32c6", "esp32c61", "esp32h2", "esp32p4"};
  if (std::find(esptool_chips.begin(), esptool_chips.end(), name) != esptool_chips.end()) {
    throw PolicyRefusalError("cli.unsupported_chip",
                             fmt::format("--chip {}: espfab provisions ESP32-S3 modules only", name),
                             "use esptool for other chips; with an ESP32-S3 write --chip esp32s3, or leave --chip out "
                             "(espfab detects the chip and refuses anything else)");
  }
  throw BadInputError("cli.unknown_chip", fmt::format("--chip '{}' is not a chip name", name),
                      "write --chip esp32s3 (or auto), as esptool spells it");
}

}  // namespace

// "espfab 0.x.y" and the flasher stub device commands would upload.
std::string version_text() {
  std::string stub;
  try {
    stub = loader::locate_stub(loader::stub_request(), chip::kEsp32s3).describe();
  } catch (const Error& error) {
    stub = error.message();
  }
  return std::string("espfab ") + ESPFAB_VERSION + "\nloader: " + stub;
}

int run(int argc, char** argv) {
  CLI::App app{
      "espfab: factory provisioning station for ESP32-S3 modules.\n"
      "Flashes, tests, gives each device its identity, locks it down and registers it.\n"
      "Every command explains itself with --help; exit codes are listed in docs/cli.md.\n"
      "Connection options (--port, --baud, --before, --after, --stub, --no-stub) go before or after the command:\n"
      "  espfab --port rfc2217://fixture1:4000 write-flash 0x0 merged.bin"};
  app.name("espfab");
  app.set_version_flag("--version", std::function<std::string()>(version_text));
  app.require_subcommand(1);
  app.fallthrough();  // root options (--log-level, --chip) after the command too; inherited by every command
  // Option callbacks run before subcommand callbacks, so logging is set up before any work.
  std::string log_level = "warn";
  std::string log_file;
  std::string chip_name = "auto";
  // `each` runs as a validator, before CLI11 stores the value: take the value from its argument.
  auto apply_level = [&](const std::string& value) {
    log_level = value;
    log::configure_logging(log::parse_level(log_level), log_file);
  };
  auto apply_file = [&](const std::string& value) {
    log_file = value;
    log::configure_logging(log::parse_level(log_level), log_file);
  };
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str()
      ->each(apply_level);
  app.add_option("--log-file", log_file, "also write the log to this file")->each(apply_file);
  app.add_option("--chip", chip_name, "esptool's chip option: esp32s3 or auto (espfab detects the chip)")
      ->capture_default_str()
      ->each(check_chip_option);

  std::map<std::string, CLI::App*> made;
  for (const auto& command : command_registry()) {
    command.configure(subcommand_for(app, command.path, command.description, made));
  }
  // Set after the commands exist: CLI11 copies a parent's footer into subcommands made later.
  app.footer(
      "esptool, espefuse and espsecure names work too: write_flash, read_mac, chip_id, get_security_info,\n"
      "merge_bin, image_info, burn_key, summary, generate_signing_key, sign_data, ... (docs/cli.md).\n"
      "With --json, errors are printed as one JSON object on stdout as well.");
  const auto is_command_path = [&made](const std::string& path) { return made.count(path) > 0; };
  std::vector<std::string> paths;
  paths.reserve(made.size());
  for (const auto& [path, command] : made) paths.push_back(path);

  std::vector<std::string> args(argv + 1, argv + argc);
  const bool json = wants_json(args);
  args = resolve_command_aliases(args, is_command_path);
  if (const auto unknown = find_unknown_command(args, paths)) {
    report_usage_problem(unknown_command_problem(*unknown), json);
    return kExitUsage;
  }
  // esptool users write `espfab --port URL chip-id`: accept that order too.
  const std::vector<std::string> resolved = args;
  args = hoist_connection_options(args, is_command_path);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector form in reverse order

  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report_usage_problem(parse_error_problem(e, app, resolved), json);
    return kExitUsage;
  } catch (const ExitRequest& request) {
    return request.code;
  } catch (const Error& error) {
    report_error(error, json);
    return exit_code_for(error.kind());
  } catch (const std::filesystem::filesystem_error& e) {
    const IoError error = io_error_from(e);  // an OS error on a path, not a bug
    report_error(error, json);
    return exit_code_for(error.kind());
  } catch (const std::exception& e) {
    const InternalError error("internal", e.what(), "this is a bug in espfab; please report it");
    report_error(error, json);
    return kExitInternal;
  }
  return kExitOk;
}

}  // namespace espfab::cli

int main(int argc, char** argv) {
  try {
    return espfab::cli::run(argc, argv);
  } catch (...) {  // run() reports every error it can name; this is what it could not even print
    return espfab::cli::kExitInternal;
  }
}
