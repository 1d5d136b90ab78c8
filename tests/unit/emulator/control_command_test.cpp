#include "emulator/control_command.hpp"

#include <gtest/gtest.h>

namespace espfab::emulator {
namespace {

TEST(ControlCommand, ParsesResets) {
  const auto download = parse_control_command("reset download 3");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->kind, ControlCommand::Kind::ResetDownload);
  EXPECT_EQ(download->device, 3u);
  const auto boot = parse_control_command("  reset\tboot 0\r");
  ASSERT_TRUE(boot);
  EXPECT_EQ(boot->kind, ControlCommand::Kind::ResetBoot);
  EXPECT_EQ(boot->device, 0u);
}

TEST(ControlCommand, RefusesWithAReason) {
  for (const char* line : {"", "reset", "reset download", "reset download x", "reset download 1 2", "reset sideways 0",
                           "reboot 0", "reset download -1", "reset download 1x"}) {
    const auto command = parse_control_command(line);
    ASSERT_FALSE(command) << line;
    EXPECT_EQ(command.error().code(), "emulator.bad_control_command") << line;
    EXPECT_FALSE(command.error().message().empty()) << line;
  }
}

}  // namespace
}  // namespace espfab::emulator
