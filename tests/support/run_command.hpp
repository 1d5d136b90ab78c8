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

CommandResult run_command(const std::filesystem::path& program, const std::vector<std::string>& args);
// Shorthand for the built espfab CLI.
CommandResult run_espfab(const std::vector<std::string>& args);

}  // namespace espfab::test
