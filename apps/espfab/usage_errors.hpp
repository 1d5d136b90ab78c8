// Command-line usage errors (exit 64) in espfab's own shape: a stable code, what is wrong, and a hint
// that names the fix — "did you mean" for a mistyped command or option, the --help to read otherwise.
// main() reports them like every other error: text on stderr, and with --json one JSON object on stdout.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "command_names.hpp"

namespace espfab::cli {

struct UsageProblem {
  std::string code;  // "cli.unknown_command", "cli.unknown_option", "cli.missing_argument", ...
  std::string message;
  std::string hint;
};

// A command word that names no command.
UsageProblem unknown_command_problem(const UnknownCommand& unknown);

// A CLI11 parse error on `args` (after alias resolution), with the command it was parsing.
UsageProblem parse_error_problem(const CLI::ParseError& error, const CLI::App& root,
                                 const std::vector<std::string>& args);

// "error[code]: message\n  hint: ..." on stderr; with `json` also
// {"error": {"kind": "usage", code, message, hint, context: []}} on stdout.
void report_usage_problem(const UsageProblem& problem, bool json);

}  // namespace espfab::cli
