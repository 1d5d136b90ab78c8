// Wire constants of the ESP32-S3 serial download protocol as the device sees them: opcodes, ROM
// and stub status codes, block limits. Source: docs/serial-protocol.md §2-§4.
#pragma once

#include <cstdint>

#include "chip/esp32s3.hpp"

namespace espfab::emulator {

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
  EraseFlash = 0xD0,
  EraseRegion = 0xD1,
  ReadFlash = 0xD2,
  RunUserCode = 0xD3,
  FlashEncryptData = 0xD4,
};

// ROM loader: status trailer [failed, code, 0, 0].
enum class RomError : std::uint8_t {
  Ok = 0x00,
  InvalidMessage = 0x05,
  FailedToAct = 0x06,
  BadChecksum = 0x07,
  FlashWriteError = 0x08,
  FlashReadError = 0x09,
  FlashReadLengthError = 0x0A,
  DeflateError = 0x0B,
};

// Flasher stub: status trailer [code, status].
enum class StubError : std::uint8_t {
  Ok = 0x00,
  BadDataLen = 0xC0,
  BadDataChecksum = 0xC1,
  BadBlocksize = 0xC2,
  InvalidCommand = 0xC3,
  FailedSpiOp = 0xC4,
  FailedSpiUnlock = 0xC5,
  NotInFlashMode = 0xC6,
  InflateError = 0xC7,
  NotEnoughData = 0xC8,
  TooMuchData = 0xC9,
  EraseFailed = 0x32,    // ERASE_REGION: misaligned or out-of-range region (raw ROM value)
  Md5ReadFailed = 0x63,  // SPI_FLASH_MD5: range outside the flash
  CmdNotImplemented = 0xFF,
};

inline constexpr std::uint32_t kSyncResponseValue = 0x55201207;  // bytes 07 12 20 55; never 0 in ROM
inline constexpr unsigned kSyncResponses = 8;
inline constexpr std::size_t kSyncPayloadSize = 36;
inline constexpr std::uint8_t kChecksumSeed = 0xEF;
inline constexpr std::uint32_t kStubMaxWriteBlock = 0x4000;  // MAX_WRITE_BLOCK
inline constexpr std::uint8_t kStubOversizeStatus = 0xEE;    // second byte after BAD_DATA_LEN
inline constexpr std::uint32_t kReadFlashMaxPacket = 0x1000;
inline constexpr std::uint32_t kReadFlashSlowBlock = 64;
inline constexpr std::size_t kDataHeaderSize = 16;  // _DATA sub-header: length, seq, 0, 0
inline constexpr std::size_t kSecurityInfoSize = 20;
inline constexpr std::uint32_t kSecurityInfoApiVersion = 0;  // any value works: docs/serial-protocol.md §5.3
inline constexpr std::uint32_t kFlashSectorSize = chip::kEsp32s3.flash_sector_size;

}  // namespace espfab::emulator
