// Validates the ESP32-S3 table: the facts other modules rely on, and the table's own consistency.
#include "chip/esp32s3.hpp"

#include <gtest/gtest.h>

#include <set>

#include "chip/esp32s3_efuse.hpp"
#include "chip/esp32s3_efuse_fields.hpp"

namespace espfab::chip {
namespace {

const ChipDescription& s3 = kEsp32s3;

TEST(Esp32s3, IdentityFacts) {
  EXPECT_EQ(s3.image_chip_id, 9);
  EXPECT_EQ(s3.security_info_chip_id, 9u);
  EXPECT_TRUE(s3.has_chip_detect_magic(9u));
  EXPECT_FALSE(s3.has_chip_detect_magic(0x6921506Fu));
  EXPECT_EQ(s3.registers.chip_detect_magic_reg, 0x40001000u);
  EXPECT_EQ(s3.bootloader_offset, 0x0u);
  EXPECT_EQ(s3.partition_table_offset, 0x8000u);
  EXPECT_EQ(s3.flash_sector_size, 0x1000u);
  EXPECT_EQ(s3.rom_flash_write_block, 0x400u);
}

TEST(Esp32s3, UsbAndResetFacts) {
  EXPECT_EQ(s3.usb.serial_jtag_vid, 0x303A);
  EXPECT_EQ(s3.usb.serial_jtag_pid, 0x1001);
  EXPECT_EQ(s3.usb.uartdev_buf_no_usb_serial_jtag, 4u);
  EXPECT_EQ(s3.usb.uartdev_buf_no_usb_otg, 3u);
  ASSERT_TRUE(s3.usb.force_download_boot.has_value());
  EXPECT_EQ(s3.usb.force_download_boot->reg, 0x6000812Cu);
  EXPECT_EQ(s3.usb.force_download_boot->mask, 0x1u);
}

TEST(Esp32s3, EfuseLayoutIsTheEfuseHeaders) {
  EXPECT_EQ(s3.efuse.base, 0x60007000u);
  EXPECT_EQ(s3.efuse.window_size, 0x200u);
  EXPECT_TRUE(s3.efuse.in_window(0x600071FC));
  EXPECT_FALSE(s3.efuse.in_window(0x60007200));
  EXPECT_FALSE(s3.efuse.in_window(0x60006FFC));
  EXPECT_EQ(s3.efuse.blocks.size(), esp32s3_efuse::kBlockCount);
  EXPECT_EQ(s3.efuse.blocks[s3.efuse.first_key_block].name, "BLOCK_KEY0");
  EXPECT_EQ(s3.efuse.key_block_count, 6u);
  EXPECT_EQ(s3.efuse.fields().size(), esp32s3_efuse::fields().size());
}

// The per-WR_DIS-bit BLOCK0 masks are the field table's BLOCK0 fields grouped by their WR_DIS bit.
TEST(Esp32s3, Block0WriteProtectMasksFollowTheFieldTable) {
  std::array<esp32s3_efuse::Block0Mask, 32> expected{};
  for (const auto& field : esp32s3_efuse::fields()) {
    if (field.block != 0 || field.calculated() || field.write_disable_bit < 0) continue;
    for (unsigned bit = 0; bit < field.bit_len; ++bit) {
      const unsigned at = static_cast<unsigned>(field.word) * 32 + static_cast<unsigned>(field.pos) + bit;
      expected[static_cast<std::size_t>(field.write_disable_bit)][at / 32] |= 1u << (at % 32);
    }
  }
  for (std::size_t bit = 0; bit < expected.size(); ++bit) {
    EXPECT_EQ(esp32s3_efuse::kBlock0WriteProtect[bit], expected[bit]) << "WR_DIS bit " << bit;
  }
}

TEST(Esp32s3, MemoryMapRegionsAreWellFormed) {
  std::set<std::string_view> names;
  for (const auto& region : s3.memory_map) {
    EXPECT_LT(region.start, region.end) << region.name;
    names.insert(region.name);
  }
  for (auto name : s3.flash_rom_regions) EXPECT_TRUE(names.count(name)) << name;
}

TEST(Esp32s3, FlashMappedAddresses) {
  EXPECT_TRUE(s3.is_flash_mapped(0x42000020));   // IROM
  EXPECT_TRUE(s3.is_flash_mapped(0x3C000020));   // DROM
  EXPECT_FALSE(s3.is_flash_mapped(0x40370000));  // IRAM
  EXPECT_FALSE(s3.is_flash_mapped(0x3FC88000));  // DRAM
  EXPECT_FALSE(s3.is_flash_mapped(0x42800000));  // one past IROM
}

TEST(Esp32s3, FlashCodesMatchEsptool) {
  EXPECT_EQ(s3.flash_size_code("4MB"), 0x20);
  EXPECT_EQ(s3.flash_size_code("8MB"), 0x30);
  EXPECT_EQ(s3.flash_frequency_code("80m"), 0xF);
  EXPECT_EQ(s3.flash_frequency_code("40m"), 0x0);
  EXPECT_EQ(s3.flash_mode_code("dio"), 2);
  EXPECT_EQ(s3.flash_mode_code("qio"), 0);
  EXPECT_EQ(s3.flash_size_name(0x20), "4MB");
  EXPECT_EQ(s3.flash_frequency_name(0xF), "80m");
  EXPECT_EQ(s3.flash_mode_name(3), "dout");
  EXPECT_EQ(s3.flash_size_name(0x90), "");
  EXPECT_FALSE(s3.flash_size_code("3MB").has_value());
  EXPECT_EQ(s3.flash_size_bytes("16MB"), 16u * 1024 * 1024);
  EXPECT_FALSE(s3.flash_size_bytes("huge").has_value());
}

TEST(Esp32s3, CodesAreUniquePerTable) {
  for (auto table : {s3.flash_modes, s3.flash_sizes, s3.flash_frequencies}) {
    std::set<std::uint8_t> codes;
    std::set<std::string_view> names;
    for (const auto& entry : table) {
      EXPECT_TRUE(codes.insert(entry.code).second) << entry.name;
      EXPECT_TRUE(names.insert(entry.name).second) << entry.name;
    }
  }
  for (const auto& size : s3.flash_sizes) EXPECT_EQ(size.code & 0x0F, 0) << size.name;
  for (const auto& freq : s3.flash_frequencies) EXPECT_EQ(freq.code & 0xF0, 0) << freq.name;
}

TEST(Esp32s3, RegisterAddressesAreWordAlignedAndInPeripheralSpace) {
  const auto& r = s3.registers;
  for (std::uint32_t address : {r.uart_date_reg, r.gpio_strap_reg, s3.usb.force_download_boot->reg, s3.efuse.base,
                                r.efuse_mac_reg, r.spi1_cmd, r.spi1_w0}) {
    EXPECT_EQ(address % 4, 0u);
    EXPECT_GE(address, 0x60000000u);
    EXPECT_LT(address, 0x60100000u);
  }
  EXPECT_EQ(r.efuse_mac_reg, s3.efuse.base + 0x44);
  EXPECT_EQ(r.spi1_w0, r.spi1_base + 0x58);
}

}  // namespace
}  // namespace espfab::chip
