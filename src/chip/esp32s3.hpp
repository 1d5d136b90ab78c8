// ESP32-S3 facts as data, every one of them: memory map, flash codes and offsets, chip ids,
// registers, USB and reset facts, and the eFuse layout (esp32s3_efuse.hpp, esp32s3_efuse_fields.hpp).
// Sources: esptool v4.8.1 targets/esp32s3.py and esp32.py (memory map, flash codes, registers,
// UARTDEV_BUF_NO values, RTC_CNTL_OPTION1), loader.py (chip detect, FLASH_WRITE_SIZE, USB-Serial/JTAG
// PID), docs/serial-protocol.md §5, docs/efuse-and-security-facts.md §1. chip_validation.cpp checks
// the whole description; docs/adding-a-chip.md says how to write another one.
#pragma once

#include <array>
#include <string_view>

#include "chip/chip_description.hpp"
#include "chip/esp32s3_efuse.hpp"
#include "chip/esp32s3_efuse_fields.hpp"

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

inline constexpr std::array<std::uint32_t, 1> kChipDetectMagics{0x00000009};

}  // namespace esp32s3_tables

inline constexpr ChipDescription kEsp32s3{
    .name = "ESP32-S3",
    .esptool_name = "esp32s3",
    .image_chip_id = 9,
    .security_info_chip_id = 9,
    .chip_detect_magics = esp32s3_tables::kChipDetectMagics,
    .bootloader_offset = 0x0,
    .partition_table_offset = 0x8000,
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
            .gpio_strap_reg = 0x60004038,
            .rtc_cntl_wdtconfig0_reg = 0x60008098,
            .rtc_cntl_wdtwprotect_reg = 0x600080B0,
            .rtc_cntl_swd_conf_reg = 0x600080B4,
            .rtc_cntl_swd_wprotect_reg = 0x600080B8,
            .efuse_mac_reg = 0x60007044,
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
            .uartdev_buf_no_usb_serial_jtag = 4,
            .uartdev_buf_no_usb_otg = 3,
            .force_download_boot = ForceDownloadBoot{0x6000812C, 0x1},
        },
    .efuse =
        {
            .base = esp32s3_efuse::kBase,
            .window_size = esp32s3_efuse::kWindowSize,
            .blocks = esp32s3_efuse::kBlocks,
            .first_key_block = esp32s3_efuse::kBlockKey0,
            .key_block_count = esp32s3_efuse::kKeyBlockCount,
            .key_purpose_fields = esp32s3_efuse::kKeyPurposeFields,
            .key_purposes = esp32s3_efuse::kKeyPurposes,
            .named_fields = esp32s3_efuse::kNamedFields,
            .fields = &esp32s3_efuse::fields,
        },
};

}  // namespace espfab::chip
