// The names a user types for a command: espfab's own ("write-flash", "efuse burn-key"), the
// esptool / espefuse / espsecure names people bring from those tools ("write_flash",
// "get_security_info", "burn_key", "generate_signing_key"), and "did you mean" for a typo.
// Pure functions over the argument vector, so main() stays thin and the rules are unit-tested.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::cli {

// An esptool-family name whose espfab command is not just the name with '-' for '_'.
struct CommandAlias {
  std::string_view alias;  // "merge_bin"
  std::string_view path;   // "image merge"
};
const std::vector<CommandAlias>& command_aliases();

// Tells whether a space-joined word sequence names a (group or leaf) command.
using IsCommandPath = std::function<bool(const std::string&)>;

// The index of the first command word in `args` (without the program name): leading root options
// and their values are skipped. args.size() when there is none.
std::size_t command_word_index(const std::vector<std::string>& args);

// `args` with an esptool-family command name replaced by espfab's path: the table above first
// ("merge_bin" -> "image", "merge"), then underscores as dashes where that names a command, at the
// top level and inside a group ("efuse burn_key" -> "efuse burn-key"). Everything else is left as it is.
std::vector<std::string> resolve_command_aliases(const std::vector<std::string>& args,
                                                 const IsCommandPath& is_command_path);

struct UnknownCommand {
  std::string word;                      // what was typed
  std::string group;                     // "" at the top level, else the group it was typed after
  std::vector<std::string> suggestions;  // closest first; may be empty
};

// The first command word that names no command (at the top level, or after a group name), with
// the names it most likely meant among `paths` (every command and group path). nullopt when the
// words are known or there is no command word at all (CLI11 reports that).
std::optional<UnknownCommand> find_unknown_command(const std::vector<std::string>& args,
                                                   const std::vector<std::string>& paths);

// Up to `limit` of `candidates` within a small edit distance of `word` (transpositions count as
// one), or that start with it, closest first.
std::vector<std::string> closest_names(std::string_view word, const std::vector<std::string>& candidates,
                                       std::size_t limit = 3);

// Whether the user asked for JSON output: "--json" among the arguments before a "--".
bool wants_json(const std::vector<std::string>& args);

}  // namespace espfab::cli
