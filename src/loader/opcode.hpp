// Opcodes of the ESP32-S3 ROM loader and the flasher stub (docs/serial-protocol.md §3), with their names as
// esptool and the Espressif docs spell them.
#pragma once

#include <cstdint>
#include <string_view>

namespace espfab::loader {

enum class Opcode : std::uint8_t {
  FlashBegin = 0x02,
  FlashData = 0x03,
  FlashEnd = 0x04,
  MemBegin = 0x05,
  MemEnd = 0x06,
  MemData = 0x07,
  Sync = 0x08,
  WriteReg = 0x09,
  ReadReg = 0x0A,
  SpiSetParams = 0x0B,
  SpiAttach = 0x0D,
  ReadFlashSlow = 0x0E,
  ChangeBaudrate = 0x0F,
  FlashDeflBegin = 0x10,
  FlashDeflData = 0x11,
  FlashDeflEnd = 0x12,
  SpiFlashMd5 = 0x13,
  GetSecurityInfo = 0x14,
  EraseFlash = 0xD0,  // stub only from here on
  EraseRegion = 0xD1,
  ReadFlash = 0xD2,
  RunUserCode = 0xD3,
  FlashEncryptData = 0xD4,
};

// "FLASH_BEGIN"; "UNKNOWN" for a value that is not a known opcode.
std::string_view to_string(Opcode opcode);

// True for commands only the stub implements (ERASE_FLASH, ERASE_REGION, READ_FLASH, ...).
constexpr bool is_stub_only(Opcode opcode) { return static_cast<std::uint8_t>(opcode) >= 0xD0; }

}  // namespace espfab::loader
