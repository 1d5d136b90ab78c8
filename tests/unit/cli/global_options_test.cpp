#include "global_options.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace espfab::cli {
namespace {

using Args = std::vector<std::string>;

bool known(const std::string& path) {
  static const std::set<std::string> paths{"chip-id", "efuse", "efuse summary", "efuse burn", "write-flash"};
  return paths.count(path) > 0;
}

TEST(HoistConnectionOptions, MovesPortAndBaudBehindTheCommand) {
  EXPECT_EQ(hoist_connection_options({"--port", "socket://h:1", "-b", "115200", "chip-id", "--json"}, known),
            (Args{"chip-id", "--port", "socket://h:1", "-b", "115200", "--json"}));
}

TEST(HoistConnectionOptions, UsesTheLongestCommandPath) {
  EXPECT_EQ(hoist_connection_options({"-p", "rfc2217://f:4000", "efuse", "summary", "--json"}, known),
            (Args{"efuse", "summary", "-p", "rfc2217://f:4000", "--json"}));
}

TEST(HoistConnectionOptions, InlineValuesAndOtherRootOptionsStayCorrect) {
  EXPECT_EQ(
      hoist_connection_options({"--log-level", "debug", "--port=socket://h:1", "write-flash", "0x0", "a.bin"}, known),
      (Args{"--log-level", "debug", "write-flash", "--port=socket://h:1", "0x0", "a.bin"}));
}

TEST(HoistConnectionOptions, LeavesArgumentsAloneWhenThereIsNothingToMove) {
  const Args plain{"chip-id", "--port", "socket://h:1"};
  EXPECT_EQ(hoist_connection_options(plain, known), plain);
  const Args help{"--help"};
  EXPECT_EQ(hoist_connection_options(help, known), help);
  // No command after the options: CLI11 reports the problem on the original order.
  const Args dangling{"--port", "socket://h:1"};
  EXPECT_EQ(hoist_connection_options(dangling, known), dangling);
  const Args unknown_command{"--port", "socket://h:1", "no-such-command"};
  EXPECT_EQ(hoist_connection_options(unknown_command, known), unknown_command);
}

}  // namespace
}  // namespace espfab::cli
