// Validates the ESP32-S3 table: the facts other modules rely on, and the table's own consistency.
#include "chip/esp32s3.hpp"

#include <gtest/gtest.h>

#include <set>

namespace espfab::chip {
namespace {

const ChipDescription& s3 = kEsp32s3;

TEST(Esp32s3, IdentityFacts) {
  EXPECT_EQ(s3.image_chip_id, 9);
  EXPECT_EQ(s3.chip_detect_magic, 9u);
  EXPECT_EQ(s3.registers.chip_detect_magic_reg, 0x40001000u);
  EXPECT_EQ(s3.bootloader_offset, 0x0u);
  EXPECT_EQ(s3.partition_table_offset, 0x8000u);
  EXPECT_EQ(s3.default_app_offset, 0x10000u);
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
  for (std::uint32_t address : {r.uart_date_reg, r.gpio_strap_reg, r.rtc_cntl_option1_reg, r.efuse_base,
                                r.efuse_rd_reg_base, r.efuse_mac_reg, r.spi1_cmd, r.spi1_w0}) {
    EXPECT_EQ(address % 4, 0u);
    EXPECT_GE(address, 0x60000000u);
    EXPECT_LT(address, 0x60100000u);
  }
  EXPECT_EQ(r.efuse_mac_reg, r.efuse_base + 0x44);
  EXPECT_EQ(r.spi1_w0, r.spi1_base + 0x58);
}

}  // namespace
}  // namespace espfab::chip
