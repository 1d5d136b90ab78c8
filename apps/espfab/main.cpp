// espfab: the command-line front end. Subcommands live one per file and register themselves.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "chip/esp32s3.hpp"
#include "cli_support.hpp"
#include "command_registry.hpp"
#include "global_options.hpp"
#include "loader/stub_locator.hpp"
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
  // Option callbacks run before subcommand callbacks, so logging is set up before any work.
  std::string log_level = "warn";
  std::string log_file;
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

  std::map<std::string, CLI::App*> made;
  for (const auto& command : command_registry()) {
    command.configure(subcommand_for(app, command.path, command.description, made));
  }

  // esptool users write `espfab --port URL chip-id`: accept that order too.
  std::vector<std::string> args(argv + 1, argv + argc);
  args = hoist_connection_options(args, [&made](const std::string& path) { return made.count(path) > 0; });
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
    app.exit(e);
    return kExitUsage;
  } catch (const ExitRequest& request) {
    return request.code;
  } catch (const Error& error) {
    print_error(std::cerr, error);
    return exit_code_for(error.kind());
  } catch (const std::filesystem::filesystem_error& e) {
    const IoError error = io_error_from(e);  // an OS error on a path, not a bug
    print_error(std::cerr, error);
    return exit_code_for(error.kind());
  } catch (const std::exception& e) {
    std::cerr << "error[internal]: " << e.what() << "\n  hint: this is a bug in espfab; please report it\n";
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
