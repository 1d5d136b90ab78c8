#include "emulator/virtual_flash.hpp"

#include <gtest/gtest.h>

#include "emulator/virtual_device.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::emulator {
namespace {

TEST(VirtualFlash, NorProgramOnlyClearsBitsAndEraseIsPerSector) {
  VirtualFlash flash(0x10000);
  EXPECT_EQ(flash.view(0, 1)[0], 0xFF);
  flash.program(0x10, Bytes{0xF0});
  flash.program(0x10, Bytes{0x3C});
  EXPECT_EQ(flash.view(0x10, 1)[0], 0x30);
  flash.erase(0x0FFF, 2);  // touches sectors 0 and 1
  EXPECT_EQ(flash.view(0x10, 1)[0], 0xFF);
  EXPECT_THROW(flash.program(0xFFFF, Bytes{0, 0}), BadInputError);
  EXPECT_FALSE(flash.in_range(0x10000, 1));
}

TEST(VirtualFlash, FileBackedContentsSurviveReopen) {
  espfab::test::TempDir dir;
  {
    VirtualFlash flash(dir / "flash.bin", 0x20000);
    flash.program(0x1234, Bytes{0x12, 0x34});
  }
  VirtualFlash again(dir / "flash.bin", 0x20000);
  EXPECT_EQ(again.view(0x1234, 2)[1], 0x34);
  EXPECT_EQ(again.view(0x0, 1)[0], 0xFF);
  EXPECT_THROW(VirtualFlash(dir / "flash.bin", 0x40000), BadInputError);
}

TEST(VirtualDevice, StateDirectoryHoldsFlashAndEspefuseLayoutEfuses) {
  espfab::test::TempDir dir;
  DeviceConfig config;
  config.state_dir = dir.path();
  config.flash_size = 0x100000;
  config.mac = parse_mac("7c:df:a1:00:11:22");
  {
    VirtualDevice device(config);
    EXPECT_EQ(device.registers().read(0x60007044), 0xA1001122u);
  }
  const Bytes efuse = read_file(dir / "efuse.bin");
  ASSERT_EQ(efuse.size(), 512u);
  // BLOCK1 word 0 (offset 0x44) is stored big-endian at file bytes [0x1FC - 0x44, 0x200 - 0x44).
  EXPECT_EQ(to_hex(ByteView(efuse).subspan(0x1FC - 0x44, 4)), "a1001122");
  config.mac = parse_mac("00:00:00:00:00:01");  // ignored: the chip already has its MAC
  VirtualDevice again(config);
  EXPECT_EQ(format_mac(again.efuse().mac()), "7c:df:a1:00:11:22");
}

TEST(VirtualDevice, MacHelpers) {
  EXPECT_EQ(format_mac(mac_for_index(parse_mac("7c:df:a1:ff:ff:ff"), 2)), "7c:df:a1:00:00:01");
  EXPECT_THROW(parse_mac("7c:df"), BadInputError);
}

TEST(VirtualDevice, ResetsPrintBannersAndNormalBootOfBlankFlashShowsInvalidHeader) {
  DeviceConfig config;
  config.flash_size = 0x100000;
  VirtualDevice device(config);
  const Bytes download = device.reset_into_download();
  EXPECT_NE(std::string(download.begin(), download.end()).find("waiting for download"), std::string::npos);
  const Bytes boot = device.reset_normal_boot();
  const std::string text(boot.begin(), boot.end());
  EXPECT_NE(text.find("boot:0x8 (SPI_FAST_FLASH_BOOT)"), std::string::npos);
  EXPECT_NE(text.find("invalid header: 0xffffffff"), std::string::npos);
  EXPECT_EQ(device.state(), VirtualDevice::State::Running);
}

}  // namespace
}  // namespace espfab::emulator
