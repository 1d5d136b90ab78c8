// The board behind the emulator's factory-test firmware (docs/factory-test-protocol.md): what a
// healthy module reads, and what each board knob changes.
#include "emulator/factory_test_board.hpp"

#include <gtest/gtest.h>

namespace espfab::emulator {
namespace {

FactoryTestBoard board(const char* faults = "") {
  FactoryTestDevice device;
  device.mac = "7c:df:a1:00:00:05";
  return FactoryTestBoard(device, parse_factory_test_faults(faults));
}

TEST(FactoryTestBoard, AHealthyModule) {
  const auto b = board();
  EXPECT_TRUE(b.loopback(4, 5).read_high);
  EXPECT_FALSE(b.loopback(4, 5).read_low);
  const auto adc = b.adc(3, 16);
  EXPECT_EQ(adc.min_mv, adc.mv - 4);
  EXPECT_EQ(adc.max_mv, adc.mv + 4);
  EXPECT_NEAR(adc.mv, 1650, 10);
  const auto temp = b.sensor("temp");
  ASSERT_TRUE(temp);
  EXPECT_TRUE(temp->present);
  EXPECT_EQ(temp->unit, "C");
  EXPECT_EQ(b.sensor("imu")->value, 9.81);
  EXPECT_FALSE(b.sensor("pressure"));
  ASSERT_EQ(b.scan().size(), 3u);
  EXPECT_EQ(b.scan()[0].ssid, "FACTORY-AP");
  EXPECT_EQ(b.scan()[0].rssi, -45);
  EXPECT_EQ(b.mem_test("psram")->bytes, 8u * 1024 * 1024);
  EXPECT_TRUE(b.mem_test("flash")->pass);
  EXPECT_FALSE(b.mem_test("eeprom"));
}

TEST(FactoryTestBoard, BoardKnobs) {
  EXPECT_TRUE(board("gpio_stuck=5:high").loopback(4, 5).read_low);
  EXPECT_FALSE(board("gpio_stuck=5:low").loopback(5, 6).read_high);
  EXPECT_TRUE(board("gpio_stuck=5:low").loopback(6, 7).read_high) << "other pins are fine";
  EXPECT_FALSE(board("sensor_missing=humidity").sensor("humidity")->present);
  EXPECT_EQ(board("wifi_rssi=-90").scan()[0].rssi, -90);
  const auto no_psram = board("no_psram");
  EXPECT_EQ(no_psram.device().psram_size, 0u);
  EXPECT_FALSE(no_psram.mem_test("psram")->pass);
}

}  // namespace
}  // namespace espfab::emulator
