// The ESP32-C3 description: facts a reader can check against esptool v4.8.1 at a glance, and the
// places where it differs from the ESP32-S3 although the shape is the same.
#include "chip/esp32c3.hpp"

#include <gtest/gtest.h>

namespace espfab::chip {
namespace {

const ChipDescription& c3 = kEsp32c3;

TEST(Esp32c3, IdentityFacts) {
  EXPECT_EQ(c3.name, "ESP32-C3");
  EXPECT_EQ(c3.image_chip_id, 5);
  EXPECT_EQ(c3.security_info_chip_id, 5u);
  EXPECT_EQ(c3.chip_detect_magics.size(), 4u);
  EXPECT_TRUE(c3.has_chip_detect_magic(0x1B31506F));  // ECO 3
  EXPECT_FALSE(c3.has_chip_detect_magic(9));
  EXPECT_EQ(c3.registers.uartdev_buf_no, 0x3FCDF07Cu);
}

TEST(Esp32c3, FlashFacts) {
  EXPECT_EQ(c3.partition_table_offset, 0x8000u);
  EXPECT_EQ(c3.flash_size_code("4MB"), 0x20);
  EXPECT_TRUE(c3.is_flash_mapped(0x42000020));
  EXPECT_FALSE(c3.is_flash_mapped(0x42800000));  // the C3's IROM is 8 MiB
  EXPECT_FALSE(c3.in_flash_map_window(0x3C800000));
}

TEST(Esp32c3, UsbFacts) {
  EXPECT_EQ(c3.usb.serial_jtag_pid, 0x1001);
  EXPECT_EQ(c3.usb.uartdev_buf_no_usb_serial_jtag, 3u);
  EXPECT_FALSE(c3.usb.uartdev_buf_no_usb_otg.has_value());
  EXPECT_FALSE(c3.usb.force_download_boot.has_value());
}

TEST(Esp32c3, EfuseFacts) {
  EXPECT_EQ(c3.efuse.base, 0x60008800u);
  EXPECT_EQ(c3.registers.efuse_mac_reg, 0x60008844u);
  const FieldInfo* jtag = find_field(c3.efuse.fields(), "DIS_USB_SERIAL_JTAG");
  ASSERT_NE(jtag, nullptr);
  EXPECT_EQ(jtag->word, 1);  // BLOCK0 word 1 here, word 3 on the ESP32-S3
  EXPECT_EQ(jtag->pos, 11);
  // The RS fail bit of BLOCK_KEY4 lives in the next register (one block later than the count).
  const EfuseBlock& key4 = c3.efuse.blocks[8];
  ASSERT_TRUE(key4.rs_fail.has_value());
  EXPECT_EQ(key4.rs_fail->reg, 0x1C4u);
  EXPECT_EQ(key4.rs_fail->bit, 3u);
  // No XTS-AES-256 purposes.
  for (const auto& purpose : c3.efuse.key_purposes) EXPECT_NE(purpose.value, 2) << purpose.name;
}

}  // namespace
}  // namespace espfab::chip
