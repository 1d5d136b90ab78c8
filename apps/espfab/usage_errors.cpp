#include "usage_errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

namespace espfab::cli {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

// The deepest command CLI11 got to, and its space-joined path ("" for the top level).
const CLI::App* deepest_command(const CLI::App& root, std::string& path) {
  const CLI::App* current = &root;
  for (;;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : current->get_subcommands()) {
      if (!sub->get_name().empty()) next = sub;  // option groups are nameless subcommands
    }
    if (next == nullptr) return current;
    current = next;
    path += (path.empty() ? "" : " ") + current->get_name();
  }
}

// Every long option name a command accepts, its own and (fallthrough) its parents'.
std::vector<std::string> long_option_names(const CLI::App* command) {
  std::vector<std::string> names;
  for (const CLI::App* app = command; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* option : app->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    }
  }
  return names;
}

// "--prot" -> "did you mean '--port'?" for the first unknown long option among `args`.
std::string option_suggestion(const CLI::App* command, const std::vector<std::string>& args) {
  const auto known = long_option_names(command);
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (!arg.starts_with("--")) continue;
    const std::string name = arg.substr(0, arg.find('='));
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    const auto close = closest_names(name, known);
    if (!close.empty()) return fmt::format("'{}': did you mean {}? ", name, quoted_list(close));
  }
  return {};
}

std::string usage_code(const CLI::ParseError& error) {
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) return "cli.unexpected_argument";
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) return "cli.missing_argument";
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) return "cli.argument_count";
  if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr) return "cli.invalid_value";
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) return "cli.invalid_value";
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) return "cli.conflicting_options";
  if (dynamic_cast<const CLI::RequiresError*>(&error) != nullptr) return "cli.missing_option";
  return "cli.usage";
}

}  // namespace

UsageProblem unknown_command_problem(const UnknownCommand& unknown) {
  const std::string where = unknown.group.empty() ? "an espfab command" : "a command of 'espfab " + unknown.group + "'";
  std::string hint;
  if (!unknown.suggestions.empty()) hint = fmt::format("did you mean {}? ", quoted_list(unknown.suggestions));
  hint += unknown.group.empty() ? "`espfab --help` lists every command"
                                : fmt::format("`espfab {} --help` lists its commands", unknown.group);
  return {.code = "cli.unknown_command", .message = fmt::format("'{}' is not {}", unknown.word, where), .hint = hint};
}

UsageProblem parse_error_problem(const CLI::ParseError& error, const CLI::App& root,
                                 const std::vector<std::string>& args) {
  std::string path;
  const CLI::App* command = deepest_command(root, path);
  UsageProblem problem{.code = usage_code(error), .message = error.what(), .hint = {}};
  if (problem.code == "cli.unexpected_argument") {
    problem.hint = option_suggestion(command, args);
    if (!problem.hint.empty()) problem.code = "cli.unknown_option";
  }
  problem.hint += path.empty() ? "`espfab --help` lists the commands and root options"
                               : fmt::format("`espfab {} --help` shows its arguments and options", path);
  return problem;
}

void report_usage_problem(const UsageProblem& problem, bool json) {
  std::cerr << "error[" << problem.code << "]: " << problem.message << "\n  hint: " << problem.hint << "\n";
  if (!json) return;
  const nlohmann::json object{{"error",
                               {{"kind", "usage"},
                                {"code", problem.code},
                                {"message", problem.message},
                                {"hint", problem.hint},
                                {"context", nlohmann::json::array()}}}};
  std::cout << object.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace espfab::cli
