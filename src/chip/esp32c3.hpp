// ESP32-C3 facts as data, in the same shape as the ESP32-S3's (esp32s3.hpp): the proof that a
// second chip is a new table, not new code (docs/adding-a-chip.md). No station path drives it yet;
// chip_validation_test.cpp checks it with the same validate() as the ESP32-S3. Sources: esptool
// v4.8.1 targets/esp32c3.py (memory map, chip ids, magic values, registers, UARTDEV_BUF_NO),
// targets/esp32.py (flash codes it inherits), loader.py (FLASH_WRITE_SIZE, sector size,
// USB-Serial/JTAG PID), espefuse's esp32c3 definitions (esp32c3_efuse.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "chip/chip_description.hpp"
#include "chip/esp32c3_efuse.hpp"
#include "chip/esp32c3_efuse_fields.hpp"

namespace espfab::chip {

namespace esp32c3_tables {

// In esptool's order.
inline constexpr std::array<MemoryRegion, 11> kMemoryMap{{
    {0x00000000, 0x00010000, "PADDING"},
    {0x3C000000, 0x3C800000, "DROM"},
    {0x3FC80000, 0x3FCE0000, "DRAM"},
    {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FF00000, 0x3FF20000, "DROM_MASK"},
    {0x40000000, 0x40060000, "IROM_MASK"},
    {0x42000000, 0x42800000, "IROM"},
    {0x4037C000, 0x403E0000, "IRAM"},
    {0x50000000, 0x50002000, "RTC_IRAM"},
    {0x50000000, 0x50002000, "RTC_DRAM"},
    {0x600FE000, 0x60100000, "MEM_INTERNAL2"},
}};

inline constexpr std::array<std::string_view, 2> kFlashRomRegions{"IROM", "DROM"};

// IROM_MAP_START/END, DROM_MAP_START/END.
inline constexpr std::array<MemoryRegion, 2> kFlashMapWindows{{
    {0x42000000, 0x42800000, "IROM_MAP"},
    {0x3C000000, 0x3C800000, "DROM_MAP"},
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

// One magic value per silicon revision: ECO 1+2, ECO 3, ECO 6, ECO 7.
inline constexpr std::array<std::uint32_t, 4> kChipDetectMagics{0x6921506F, 0x1B31506F, 0x4881606F, 0x4361606F};

}  // namespace esp32c3_tables

inline constexpr ChipDescription kEsp32c3{
    .name = "ESP32-C3",
    .esptool_name = "esp32c3",
    .image_chip_id = 5,
    .security_info_chip_id = 5,
    .chip_detect_magics = esp32c3_tables::kChipDetectMagics,
    .bootloader_offset = 0x0,
    .partition_table_offset = 0x8000,
    .flash_sector_size = 0x1000,
    .rom_flash_write_block = 0x400,
    .flash_mmu_page_size = 0x10000,
    .memory_map = esp32c3_tables::kMemoryMap,
    .flash_rom_regions = esp32c3_tables::kFlashRomRegions,
    .flash_map_windows = esp32c3_tables::kFlashMapWindows,
    .flash_modes = esp32c3_tables::kFlashModes,
    .flash_sizes = esp32c3_tables::kFlashSizes,
    .flash_frequencies = esp32c3_tables::kFlashFrequencies,
    .registers =
        {
            .chip_detect_magic_reg = 0x40001000,
            .uartdev_buf_no = 0x3FCDF07C,
            .uart_date_reg = 0x6000007C,
            // GPIO_STRAP_REG = DR_REG_GPIO_BASE + 0x38 (esptool's ESP32-C3 class inherits the
            // ESP32's address, which is not this chip's).
            .gpio_strap_reg = 0x60004038,
            .rtc_cntl_wdtconfig0_reg = 0x60008090,
            .rtc_cntl_wdtwprotect_reg = 0x600080A8,
            .rtc_cntl_swd_conf_reg = 0x600080AC,
            .rtc_cntl_swd_wprotect_reg = 0x600080B0,
            .efuse_mac_reg = 0x60008844,
            .spi1_base = 0x60002000,
            .spi1_cmd = 0x60002000,
            .spi1_user = 0x60002018,
            .spi1_user2 = 0x60002020,
            .spi1_miso_dlen = 0x60002028,
            .spi1_w0 = 0x60002058,
        },
    .usb =
        {
            .serial_jtag_vid = 0x303A,
            .serial_jtag_pid = 0x1001,
            .uartdev_buf_no_usb_serial_jtag = 3,
            .uartdev_buf_no_usb_otg = std::nullopt,  // no USB-OTG on this chip
            .force_download_boot = std::nullopt,     // esptool's hard reset does not touch RTC_CNTL_OPTION1 here
        },
    .efuse =
        {
            .base = esp32c3_efuse::kBase,
            .window_size = esp32c3_efuse::kWindowSize,
            .blocks = esp32c3_efuse::kBlocks,
            .first_key_block = esp32c3_efuse::kBlockKey0,
            .key_block_count = esp32c3_efuse::kKeyBlockCount,
            .key_purpose_fields = esp32c3_efuse::kKeyPurposeFields,
            .key_purposes = esp32c3_efuse::kKeyPurposes,
            .named_fields = esp32c3_efuse::kNamedFields,
            .fields = &esp32c3_efuse::fields,
        },
};

}  // namespace espfab::chip
