#include "global_options.hpp"

#include <algorithm>
#include <cstddef>

namespace espfab::cli {

const std::vector<HoistedOption>& hoisted_connection_options() {
  static const std::vector<HoistedOption> options{
      {"-p", true},     {"--port", true},     {"-b", true},
      {"--baud", true}, {"--before", true},   {"--after", true},
      {"--stub", true}, {"--no-stub", false}, {"--connect-attempts", true},
  };
  return options;
}

namespace {

// "--port=URL" → "--port"; "-p" stays.
std::string option_name(const std::string& arg) { return arg.substr(0, arg.find('=')); }

const HoistedOption* find_hoisted(const std::string& arg) {
  const auto name = option_name(arg);
  const auto& options = hoisted_connection_options();
  const auto found =
      std::find_if(options.begin(), options.end(), [&](const HoistedOption& o) { return name == o.name; });
  return found == options.end() ? nullptr : &*found;
}

}  // namespace

std::vector<std::string> hoist_connection_options(const std::vector<std::string>& args,
                                                  const std::function<bool(const std::string&)>& is_command_path) {
  std::vector<std::string> moved;
  std::vector<std::string> rest;
  std::size_t i = 0;
  // Leading options: pick out the connection ones, keep the others (--log-level ...) in place.
  for (; i < args.size() && !args[i].empty() && args[i][0] == '-'; ++i) {
    const HoistedOption* hoisted = find_hoisted(args[i]);
    const bool inline_value = args[i].find('=') != std::string::npos;
    auto& target = hoisted ? moved : rest;
    target.push_back(args[i]);
    const bool needs_value =
        hoisted ? hoisted->takes_value && !inline_value
                : !inline_value && i + 1 < args.size() && args[i + 1][0] != '-' && !is_command_path(args[i + 1]);
    if (needs_value && i + 1 < args.size()) target.push_back(args[++i]);
  }
  if (moved.empty() || i == args.size() || !is_command_path(args[i])) return args;
  // The longest command path starting at i.
  std::string path = args[i];
  rest.push_back(args[i++]);
  while (i < args.size() && is_command_path(path + " " + args[i])) {
    path += " ";
    path += args[i];
    rest.push_back(args[i++]);
  }
  rest.insert(rest.end(), moved.begin(), moved.end());
  rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return rest;
}

}  // namespace espfab::cli
