// The USB-Serial/JTAG controller's line rules and the chip's resets through it (usb_serial_jtag.hpp):
// esptool's USB sequence enters download mode, its HardReset boots the app once FORCE_DOWNLOAD_BOOT
// is cleared (and not before: esptool#970), the UART sequences do not reach download mode, and
// DIS_USB_SERIAL_JTAG / USB_PHY_SEL take the device off the bus.
#include "emulator/usb_serial_jtag.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chip/esp32s3_efuse.hpp"
#include "emulator/virtual_device.hpp"

namespace espfab::emulator {
namespace {

std::vector<UsbCoreReset> run(UsbSerialJtagLines& lines, const std::vector<UsbLines>& steps) {
  std::vector<UsbCoreReset> resets;
  for (const auto& step : steps) {
    if (const auto reset = lines.set(step)) resets.push_back(*reset);
  }
  return resets;
}

TEST(UsbSerialJtagLines, EsptoolsUsbResetAsksForDownloadMode) {
  UsbSerialJtagLines lines;
  // USBJTAGSerialReset: (0,0) (1,0) (1,1) (0,1) (0,1) (0,0), as (DTR, RTS).
  const auto resets =
      run(lines, {{false, false}, {true, false}, {true, true}, {false, true}, {false, true}, {false, false}});
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_TRUE(resets[0].download_requested);
}

TEST(UsbSerialJtagLines, AnRtsPulseFromIdleResetsIntoTheApp) {
  UsbSerialJtagLines lines;
  EXPECT_TRUE(run(lines, {{false, true}}).empty());
  EXPECT_TRUE(lines.core_held_in_reset());
  const auto resets = run(lines, {{false, false}});
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_FALSE(resets[0].download_requested);
}

TEST(UsbSerialJtagLines, TheUartClassicSequenceDoesNotReachDownloadMode) {
  UsbSerialJtagLines lines;
  // ClassicReset: DTR off RTS on, then DTR on RTS off, then DTR off.
  const auto resets = run(lines, {{false, true}, {true, false}, {false, false}});
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_FALSE(resets[0].download_requested);
}

TEST(UsbSerialJtagLines, BothLinesOnIsNoReset) {
  UsbSerialJtagLines lines;
  EXPECT_TRUE(run(lines, {{true, true}, {true, false}, {true, true}, {false, false}}).empty());
}

std::string text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

TEST(UsbSerialJtagDevice, ForceDownloadBootSurvivesACoreResetUntilTheHostClearsIt) {
  DeviceConfig config;
  config.flash_size = 0x100000;
  VirtualDevice device(config);
  const auto download = text(device.usb_core_reset(true));
  EXPECT_NE(download.find("rst:0x15 (USB_UART_CHIP_RESET)"), std::string::npos) << download;
  EXPECT_NE(download.find("waiting for download"), std::string::npos);
  // A plain core reset (esptool's HardReset) without clearing the flag: back in the loader.
  EXPECT_NE(text(device.usb_core_reset(false)).find("waiting for download"), std::string::npos);
  EXPECT_EQ(device.registers().read(0x6000812C) & 1u, 1u);
  // esptool's hard_reset clears it first (WRITE_REG 0x6000812C, 0, mask 1): now the app boots.
  device.registers().write_masked(0x6000812C, 0, 1);
  const auto boot = text(device.usb_core_reset(false));
  EXPECT_NE(boot.find("rst:0x15 (USB_UART_CHIP_RESET),boot:0x8 (SPI_FAST_FLASH_BOOT)"), std::string::npos) << boot;
}

TEST(UsbSerialJtagDevice, AnEnPinResetClearsTheFlag) {
  DeviceConfig config;
  config.flash_size = 0x100000;
  VirtualDevice device(config);
  (void)device.usb_core_reset(true);
  (void)device.reset_normal_boot();
  EXPECT_EQ(device.registers().read(0x6000812C) & 1u, 0u);
}

TEST(UsbSerialJtagDevice, UartdevBufNoSaysUsbSerialJtag) {
  DeviceConfig config;
  config.flash_size = 0x100000;
  VirtualDevice device(config);
  EXPECT_EQ(device.registers().read(0x3FCEF14C) & 0xFFu, 0u);
  device.set_console_usb_serial_jtag();
  (void)device.usb_core_reset(true);
  EXPECT_EQ(device.registers().read(0x3FCEF14C) & 0xFFu, 4u);
}

// One BLOCK0 program cycle through the eFuse controller's registers, then the read that loads it.
void burn_block0_word(VirtualDevice& device, unsigned word, std::uint32_t bits) {
  namespace efuse = chip::esp32s3_efuse;
  auto& registers = device.registers();
  registers.write(efuse::kBase + 4 * word, bits);
  registers.write(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kWriteOpCode);
  registers.write(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kPgmCmd);
  registers.write(efuse::kBase + 4 * word, 0);
  registers.write(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kReadOpCode);
  registers.write(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kReadCmd);
}

TEST(UsbSerialJtagDevice, UsbPhySelOrDisUsbSerialJtagTakeTheDeviceOffTheBusAfterAReset) {
  for (const auto& field : {chip::esp32s3_efuse::USB_PHY_SEL, chip::esp32s3_efuse::DIS_USB_SERIAL_JTAG}) {
    DeviceConfig config;
    config.flash_size = 0x100000;
    VirtualDevice device(config);
    EXPECT_TRUE(device.usb_serial_jtag_enabled());
    burn_block0_word(device, field.word, 1u << field.shift);
    (void)device.usb_core_reset(true);
    EXPECT_FALSE(device.usb_serial_jtag_enabled()) << "word " << field.word << " bit " << field.shift;
  }
}

}  // namespace
}  // namespace espfab::emulator
