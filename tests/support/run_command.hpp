// Runs a program (the built CLI, a peer tool) and collects its exit code and output.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace espfab::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `environment`: NAME=VALUE entries added to (or replacing those of) this process's environment.
CommandResult run_command(const std::filesystem::path& program, const std::vector<std::string>& args,
                          const std::vector<std::string>& environment = {});
// Shorthand for the built espfab CLI.
CommandResult run_espfab(const std::vector<std::string>& args, const std::vector<std::string>& environment = {});

}  // namespace espfab::test
