// The first boot stage of a normal (flash) boot: the ROM banner, the 0xE9 header check, Secure
// Boot V2 verification of the 2nd-stage bootloader when SECURE_BOOT_EN is set, and the load/entry
// lines (docs/boot-behaviour.md §1, checklist items 1, 3, 4, 6).
#pragma once

#include "chip/esp32s3.hpp"
#include "emulator/boot_console.hpp"
#include "emulator/boot_context.hpp"

namespace espfab::emulator {

enum class ResetCause {
  PowerOn,   // rst:0x1 (POWERON)
  Software,  // rst:0x3 (RTC_SW_SYS_RST)
  Watchdog,  // rst:0x7 (TG0WDT_SYS_RST)
  UsbUart,   // rst:0x15 (USB_UART_CHIP_RESET): the USB-Serial/JTAG controller reset the core
};

// Where the partition table starts: the bootloader (and its signature sector) must end before it.
inline constexpr std::uint32_t kDefaultPartitionTableOffset = chip::kEsp32s3.partition_table_offset;

// Prints the ROM's lines; true when the 2nd stage starts. On an invalid header the ROM prints the
// header word a few times and the watchdog would reset it: the model stops there (no endless loop;
// the next reset prints the banner again).
bool run_rom_stage(const BootContext& context, BootConsole& console, ResetCause cause,
                   std::uint32_t partition_table_offset = kDefaultPartitionTableOffset);

}  // namespace espfab::emulator
