// The shape of a chip description: facts as data, one constant per chip (see esp32s3.hpp). Code
// takes a `const ChipDescription&` so another chip is a new table, not new code paths.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "chip/efuse_layout.hpp"

namespace espfab::chip {

// A named address range [start, end) of the memory map; ranges overlap (DRAM is also
// BYTE_ACCESSIBLE and MEM_INTERNAL), so an address has a list of types.
struct MemoryRegion {
  std::uint32_t start;
  std::uint32_t end;
  std::string_view name;

  constexpr bool contains(std::uint32_t address) const { return address >= start && address < end; }
};

// One value of an image header field and its name ("4MB" -> 0x2 in the high nibble).
struct NamedCode {
  std::string_view name;
  std::uint8_t code;
};

// Register addresses the host tools and the emulator use (names as in Espressif's sources).
struct Registers {
  std::uint32_t chip_detect_magic_reg;
  std::uint32_t uartdev_buf_no;
  std::uint32_t uart_date_reg;
  std::uint32_t gpio_strap_reg;
  std::uint32_t rtc_cntl_wdtconfig0_reg;
  std::uint32_t rtc_cntl_wdtwprotect_reg;
  std::uint32_t rtc_cntl_swd_conf_reg;
  std::uint32_t rtc_cntl_swd_wprotect_reg;
  std::uint32_t efuse_mac_reg;  // MAC_EFUSE_REG: BLOCK1 word 0 (the eFuse window: ChipDescription::efuse)
  std::uint32_t spi1_base;
  std::uint32_t spi1_cmd, spi1_user, spi1_user2, spi1_miso_dlen, spi1_w0;
};

// RTC_CNTL_OPTION1_REG and its FORCE_DOWNLOAD_BOOT mask: a USB download request sets the bit, and
// the next core reset enters the ROM loader until someone clears it.
struct ForceDownloadBoot {
  std::uint32_t reg;
  std::uint32_t mask;
};

// How the chip shows up on USB and what the ROM's UARTDEV_BUF_NO says about the console in use.
struct UsbFacts {
  std::uint16_t serial_jtag_vid;                         // USB-Serial/JTAG: 303a
  std::uint16_t serial_jtag_pid;                         // 1001
  std::uint32_t uartdev_buf_no_usb_serial_jtag;          // UARTDEV_BUF_NO_USB_JTAG_SERIAL
  std::optional<std::uint32_t> uartdev_buf_no_usb_otg;   // UARTDEV_BUF_NO_USB_OTG (chips with USB-OTG)
  std::optional<ForceDownloadBoot> force_download_boot;  // chips whose hard reset must clear it
};

struct ChipDescription {
  std::string_view name;                              // "ESP32-S3"
  std::string_view esptool_name;                      // "esp32s3"
  std::uint16_t image_chip_id;                        // extended header chip id
  std::uint32_t security_info_chip_id;                // chip id in the GET_SECURITY_INFO answer
  std::span<const std::uint32_t> chip_detect_magics;  // values of chip_detect_magic_reg (one per ECO)
  std::uint32_t bootloader_offset;                    // flash offset of the 2nd-stage bootloader
  std::uint32_t partition_table_offset;
  std::uint32_t flash_sector_size;
  std::uint32_t rom_flash_write_block;  // FLASH_WRITE_SIZE for the ROM loader
  std::uint32_t flash_mmu_page_size;    // flash-mapped segments align to this (IROM/DROM)
  std::span<const MemoryRegion> memory_map;
  std::span<const std::string_view> flash_rom_regions;  // region names mapped from flash
  // The wider windows esptool's elf2image treats as flash-mapped (IROM_MAP_*, DROM_MAP_*): segments
  // loaded there are placed at MMU-page-aligned file offsets.
  std::span<const MemoryRegion> flash_map_windows;
  std::span<const NamedCode> flash_modes;
  std::span<const NamedCode> flash_sizes;        // code already in the high nibble position (>> 4 to store)
  std::span<const NamedCode> flash_frequencies;  // low nibble
  Registers registers;
  UsbFacts usb;
  EfuseLayout efuse;

  std::optional<std::uint8_t> flash_size_code(std::string_view size_name) const;
  std::optional<std::uint8_t> flash_frequency_code(std::string_view freq_name) const;
  std::optional<std::uint8_t> flash_mode_code(std::string_view mode_name) const;
  std::string_view flash_size_name(std::uint8_t code) const;       // "" when unknown
  std::string_view flash_frequency_name(std::uint8_t code) const;  // "" when unknown
  std::string_view flash_mode_name(std::uint8_t code) const;       // "" when unknown
  // Flash size in bytes for a size name ("4MB" -> 4 MiB); nullopt when unknown.
  std::optional<std::uint32_t> flash_size_bytes(std::string_view size_name) const;
  bool has_chip_detect_magic(std::uint32_t magic) const;
  bool is_flash_mapped(std::uint32_t address) const;      // IROM or DROM
  bool in_flash_map_window(std::uint32_t address) const;  // IROM_MAP or DROM_MAP (elf2image)
};

}  // namespace espfab::chip
