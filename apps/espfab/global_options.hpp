// esptool's order: `espfab --port URL --baud N chip-id`. Connection options written before the
// command are moved behind its path, where the device subcommands define them, so both orders
// work and a subcommand keeps one definition of each option.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace espfab::cli {

// Options that may precede the command, with whether each takes a value.
struct HoistedOption {
  const char* name;
  bool takes_value;
};
const std::vector<HoistedOption>& hoisted_connection_options();

// `args` without the program name. `is_command_path("efuse summary")` tells whether a space-joined
// word sequence names a (group or leaf) command. Returns args with the connection options that stand
// before the first command word moved to just after the longest command path; everything else keeps
// its order. Arguments it does not understand are left where they are for CLI11 to report.
std::vector<std::string> hoist_connection_options(const std::vector<std::string>& args,
                                                  const std::function<bool(const std::string&)>& is_command_path);

}  // namespace espfab::cli
