// The fault knobs of a virtual device (docs/emulator.md, "Fault injection"): the app's, the
// link's and the chip's, and bad knobs named.
#include "emulator/factory_test_faults.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::emulator {
namespace {

TEST(FactoryTestFaults, DeviceFaultsSplitLinkChipAndAppKnobs) {
  const auto faults = parse_device_faults("drop_after=5000,gpio_stuck=4:low,bitflip=200,wrong_chip,no_psram");
  ASSERT_TRUE(faults.drop_after);
  EXPECT_EQ(*faults.drop_after, 5000u);
  EXPECT_EQ(faults.bitflip_ppm, 200u);
  EXPECT_TRUE(faults.wrong_chip);
  ASSERT_TRUE(faults.factory_test.gpio_stuck);
  EXPECT_EQ(faults.factory_test.gpio_stuck->first, 4);
  EXPECT_FALSE(faults.factory_test.gpio_stuck->second);
  EXPECT_TRUE(faults.factory_test.no_psram);
  EXPECT_EQ(parse_device_faults("efuse_power_loss=2").efuse_power_loss, std::optional<unsigned>(2));
  EXPECT_THROW((void)parse_device_faults("efuse_power_loss=0"), BadInputError);
  EXPECT_TRUE(parse_device_faults("no_flash").no_flash);
  EXPECT_THROW((void)parse_device_faults("bitflip=2000000"), BadInputError);
  EXPECT_THROW((void)parse_device_faults("drop_after=-1"), BadInputError);
  const auto none = parse_device_faults("");
  EXPECT_FALSE(none.drop_after);
  EXPECT_FALSE(none.wrong_chip);
}

TEST(FactoryTestFaults, BadKnobsAreNamed) {
  for (const char* text : {"gpio_stuck=4", "gpio_stuck=x:high", "wifi_rssi=loud", "teleport=1"}) {
    try {
      (void)parse_factory_test_faults(text);
      ADD_FAILURE() << text;
    } catch (const BadInputError& error) {
      EXPECT_EQ(error.code(), "emulator.bad_fault") << text;
      EXPECT_FALSE(error.hint().empty());
    }
  }
}

}  // namespace
}  // namespace espfab::emulator
