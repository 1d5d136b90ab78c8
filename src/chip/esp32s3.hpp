// ESP32-S3 facts as data. Sources: esptool v4.8.1 targets/esp32s3.py and esp32.py (memory map,
// flash codes, registers), loader.py (chip detect), docs/serial-protocol.md §5, docs/efuse-and-security-facts.md §1.
#pragma once

#include <array>
#include <string_view>

#include "chip/chip_description.hpp"

namespace espfab::chip {

namespace esp32s3_tables {

// Order matters: esptool lists memory types in this order.
inline constexpr std::array<MemoryRegion, 12> kMemoryMap{{
    {0x00000000, 0x00010000, "PADDING"},
    {0x3C000000, 0x3D000000, "DROM"},
    {0x3D000000, 0x3E000000, "EXTRAM_DATA"},
    {0x600FE000, 0x60100000, "RTC_DRAM"},
    {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FC88000, 0x403E2000, "MEM_INTERNAL"},
    {0x3FC88000, 0x3FD00000, "DRAM"},
    {0x40000000, 0x4001A100, "IROM_MASK"},
    {0x40370000, 0x403E0000, "IRAM"},
    {0x600FE000, 0x60100000, "RTC_IRAM"},
    {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
}};

inline constexpr std::array<std::string_view, 2> kFlashRomRegions{"IROM", "DROM"};

// esptool targets/esp32s3.py IROM_MAP_START/END, DROM_MAP_START/END.
inline constexpr std::array<MemoryRegion, 2> kFlashMapWindows{{
    {0x42000000, 0x44000000, "IROM_MAP"},
    {0x3C000000, 0x3E000000, "DROM_MAP"},
}};

inline constexpr std::array<NamedCode, 4> kFlashModes{{{"qio", 0}, {"qout", 1}, {"dio", 2}, {"dout", 3}}};

inline constexpr std::array<NamedCode, 8> kFlashSizes{{
    {"1MB", 0x00},
    {"2MB", 0x10},
    {"4MB", 0x20},
    {"8MB", 0x30},
    {"16MB", 0x40},
    {"32MB", 0x50},
    {"64MB", 0x60},
    {"128MB", 0x70},
}};

inline constexpr std::array<NamedCode, 4> kFlashFrequencies{{{"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}}};

}  // namespace esp32s3_tables

inline constexpr ChipDescription kEsp32s3{
    .name = "ESP32-S3",
    .esptool_name = "esp32s3",
    .image_chip_id = 9,
    .chip_detect_magic = 0x00000009,
    .bootloader_offset = 0x0,
    .partition_table_offset = 0x8000,
    .default_app_offset = 0x10000,
    .flash_sector_size = 0x1000,
    .rom_flash_write_block = 0x400,
    .flash_mmu_page_size = 0x10000,
    .memory_map = esp32s3_tables::kMemoryMap,
    .flash_rom_regions = esp32s3_tables::kFlashRomRegions,
    .flash_map_windows = esp32s3_tables::kFlashMapWindows,
    .flash_modes = esp32s3_tables::kFlashModes,
    .flash_sizes = esp32s3_tables::kFlashSizes,
    .flash_frequencies = esp32s3_tables::kFlashFrequencies,
    .registers =
        {
            .chip_detect_magic_reg = 0x40001000,
            .uartdev_buf_no = 0x3FCEF14C,
            .uart_date_reg = 0x60000080,
            .uart_clkdiv_reg = 0x60000014,
            .gpio_strap_reg = 0x60004038,
            .rtc_cntl_option1_reg = 0x6000812C,
            .rtc_cntl_wdtconfig0_reg = 0x60008098,
            .rtc_cntl_wdtwprotect_reg = 0x600080B0,
            .rtc_cntl_swd_conf_reg = 0x600080B4,
            .rtc_cntl_swd_wprotect_reg = 0x600080B8,
            .efuse_base = 0x60007000,
            .efuse_rd_reg_base = 0x60007030,
            .efuse_mac_reg = 0x60007044,
            .efuse_block1_addr = 0x60007044,
            .efuse_block2_addr = 0x6000705C,
            .spi1_base = 0x60002000,
            .spi1_cmd = 0x60002000,
            .spi1_addr = 0x60002004,
            .spi1_user = 0x60002018,
            .spi1_user1 = 0x6000201C,
            .spi1_user2 = 0x60002020,
            .spi1_mosi_dlen = 0x60002024,
            .spi1_miso_dlen = 0x60002028,
            .spi1_w0 = 0x60002058,
        },
};

}  // namespace espfab::chip
