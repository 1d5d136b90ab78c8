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

TEST(ControlCommand, ParsesFaults) {
  const auto fault = parse_control_command("fault 2 gpio_stuck=4:high,wifi_rssi=-85");
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->kind, ControlCommand::Kind::Fault);
  EXPECT_EQ(fault->device, 2u);
  EXPECT_EQ(fault->knobs, "gpio_stuck=4:high,wifi_rssi=-85");
  const auto clear = parse_control_command("fault 0 clear");
  ASSERT_TRUE(clear);
  EXPECT_EQ(clear->knobs, "");
  EXPECT_FALSE(parse_control_command("fault x no_psram"));
  EXPECT_FALSE(parse_control_command("fault 1"));
}

TEST(ControlCommand, ParsesBusy) {
  const auto busy = parse_control_command("busy 4");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->kind, ControlCommand::Kind::Busy);
  EXPECT_EQ(busy->device, 4u);
  const auto clear = parse_control_command("busy 0 clear");
  ASSERT_TRUE(clear);
  EXPECT_EQ(clear->kind, ControlCommand::Kind::BusyClear);
  EXPECT_FALSE(parse_control_command("busy"));
  EXPECT_FALSE(parse_control_command("busy x"));
  EXPECT_FALSE(parse_control_command("busy 1 reset"));
  EXPECT_FALSE(parse_control_command("busy 1 clear now"));
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
