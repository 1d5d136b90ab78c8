#include "command_names.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "global_options.hpp"

namespace espfab::cli {

const std::vector<CommandAlias>& command_aliases() {
  static const std::vector<CommandAlias> aliases{
      // esptool.py
      {"get_security_info", "security-info"},
      {"image_info", "image info"},
      {"merge_bin", "image merge"},
      {"elf2image", "image build"},
      // espefuse.py
      {"summary", "efuse summary"},
      {"burn_efuse", "efuse burn"},
      {"burn_key", "efuse burn-key"},
      {"burn_key_digest", "efuse burn-key-digest"},
      {"read_protect_efuse", "efuse read-protect"},
      {"write_protect_efuse", "efuse write-protect"},
      {"check_error", "efuse check"},
      {"efuse burn_efuse", "efuse burn"},
      {"efuse read_protect_efuse", "efuse read-protect"},
      {"efuse write_protect_efuse", "efuse write-protect"},
      {"efuse check_error", "efuse check"},
      // espsecure.py
      {"generate_signing_key", "secure-boot generate-key"},
      {"digest_sbv2_public_key", "secure-boot digest"},
      {"sign_data", "secure-boot sign"},
      {"verify_signature", "secure-boot verify"},
      {"signature_info_v2", "secure-boot info"},
      {"generate_flash_encryption_key", "flash-encryption generate-key"},
      {"encrypt_flash_data", "flash-encryption encrypt"},
      {"decrypt_flash_data", "flash-encryption decrypt"},
  };
  return aliases;
}

namespace {

// Root options that take a value: the logging ones, --chip and the connection options.
bool takes_value(const std::string& arg) {
  if (arg.find('=') != std::string::npos) return false;  // --log-level=debug carries its value
  if (arg == "--log-level" || arg == "--log-file" || arg == "--chip") return true;
  const auto& hoisted = hoisted_connection_options();
  return std::any_of(hoisted.begin(), hoisted.end(),
                     [&](const HoistedOption& option) { return option.takes_value && arg == option.name; });
}

std::vector<std::string> split_words(std::string_view path) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t end = std::min(path.find(' ', start), path.size());
    words.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

std::string dashed(std::string word) {
  std::replace(word.begin(), word.end(), '_', '-');
  return word;
}

const CommandAlias* find_alias(const std::string& name) {
  const auto& aliases = command_aliases();
  const auto found =
      std::find_if(aliases.begin(), aliases.end(), [&](const CommandAlias& alias) { return alias.alias == name; });
  return found == aliases.end() ? nullptr : &*found;
}

bool is_option(const std::string& arg) { return !arg.empty() && arg[0] == '-'; }

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::size_t command_word_index(const std::vector<std::string>& args) {
  std::size_t i = 0;
  while (i < args.size() && is_option(args[i])) i += takes_value(args[i]) ? 2U : 1U;
  return std::min(i, args.size());
}

std::vector<std::string> resolve_command_aliases(const std::vector<std::string>& args,
                                                 const IsCommandPath& is_command_path) {
  const std::size_t first = command_word_index(args);
  if (first == args.size()) return args;
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(first));
  std::size_t i = first;
  std::string path;
  // The top-level word, then the word after a group, each resolved in the context of the path so far.
  while (i < args.size() && !is_option(args[i])) {
    const std::string typed = path.empty() ? args[i] : path + " " + args[i];
    std::string resolved = typed;
    if (!is_command_path(typed)) {
      if (const CommandAlias* alias = find_alias(typed)) {
        resolved = std::string(alias->path);
      } else if (is_command_path(dashed(typed))) {
        resolved = dashed(typed);
      } else {
        break;
      }
    }
    const auto before = split_words(path).size();
    const auto words = split_words(resolved);
    out.insert(out.end(), words.begin() + static_cast<std::ptrdiff_t>(before), words.end());
    path = resolved;
    ++i;
  }
  out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return out;
}

std::optional<UnknownCommand> find_unknown_command(const std::vector<std::string>& args,
                                                   const std::vector<std::string>& paths) {
  const auto known = [&](const std::string& path) {
    return std::find(paths.begin(), paths.end(), path) != paths.end();
  };
  const auto is_group = [&](const std::string& path) {
    return std::any_of(paths.begin(), paths.end(), [&](const std::string& p) { return p.starts_with(path + " "); });
  };
  std::size_t i = command_word_index(args);
  if (i == args.size()) return std::nullopt;
  std::string path = args[i];
  if (!known(path)) {
    return UnknownCommand{.word = path, .group = "", .suggestions = closest_names(path, paths)};
  }
  // Inside groups ("efuse burn_kye"): the next word must be one of the group's commands.
  while (is_group(path) && ++i < args.size() && !is_option(args[i])) {
    const std::string next = path + " " + args[i];
    if (!known(next)) {
      std::vector<std::string> children;
      for (const auto& p : paths) {
        if (p.starts_with(path + " ") && p.find(' ', path.size() + 1) == std::string::npos) children.push_back(p);
      }
      return UnknownCommand{.word = args[i], .group = path, .suggestions = closest_names(next, children)};
    }
    path = next;
  }
  return std::nullopt;
}

std::vector<std::string> closest_names(std::string_view word, const std::vector<std::string>& candidates,
                                       std::size_t limit) {
  // A candidate is compared whole ("efuse summary") and by its last word ("summary").
  const std::string_view typed_last = word.substr(word.rfind(' ') == std::string_view::npos ? 0 : word.rfind(' ') + 1);
  const std::size_t allowed = typed_last.size() >= 5 ? 2 : 1;
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& candidate : candidates) {
    const std::string_view last =
        std::string_view(candidate).substr(candidate.rfind(' ') == std::string::npos ? 0 : candidate.rfind(' ') + 1);
    std::size_t distance = std::min(edit_distance(word, candidate), edit_distance(typed_last, last));
    const std::string dashed_typed = dashed(std::string(typed_last));
    if (typed_last.size() >= 3 && (last.starts_with(dashed_typed) || candidate.starts_with(dashed_typed))) {
      distance = std::min(distance, allowed);
    }
    if (distance <= allowed) scored.emplace_back(distance, candidate);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  });
  std::vector<std::string> names;
  for (const auto& [distance, name] : scored) {
    if (names.size() == limit) break;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

bool wants_json(const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

}  // namespace espfab::cli
