// Subcommands register themselves here, one file each: a path ("image info") and a function that
// adds options and a callback to the CLI11 subcommand main() creates for that path.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::cli {

struct CommandSpec {
  std::string path;         // space-separated: "image info"
  std::string description;  // one line for --help
  std::function<void(CLI::App&)> configure;
};

std::vector<CommandSpec>& command_registry();

// Parent commands ("image") that only group others get a description here.
struct GroupSpec {
  std::string path;
  std::string description;
};
std::vector<GroupSpec>& group_registry();

struct RegisterCommand {
  explicit RegisterCommand(CommandSpec spec) { command_registry().push_back(std::move(spec)); }
};
struct RegisterGroup {
  RegisterGroup(std::string path, std::string description) {
    group_registry().push_back({std::move(path), std::move(description)});
  }
};

}  // namespace espfab::cli
