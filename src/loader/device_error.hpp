// Error codes the chip reports in the status trailer (docs/serial-protocol.md §2.3), as named enums with a meaning
// and a hint for the operator, and the DeviceStatusError built from them.
#pragma once

#include <cstdint>
#include <string_view>

#include "loader/opcode.hpp"
#include "loader/response.hpp"
#include "util/error.hpp"

namespace espfab::loader {

// ROM loader: the second status byte.
enum class RomErrorCode : std::uint8_t {
  InvalidMessage = 0x05,
  FailedToAct = 0x06,
  InvalidCrc = 0x07,
  FlashWriteError = 0x08,
  FlashReadError = 0x09,
  FlashReadLengthError = 0x0A,
  DeflateError = 0x0B,
};

// Flasher stub: the first status byte.
enum class StubErrorCode : std::uint8_t {
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
  CmdNotImplemented = 0xFF,
};

struct DeviceErrorInfo {
  std::string_view name;     // "invalid_crc", "inflate_error", "unknown"
  std::string_view meaning;  // "invalid CRC/checksum in message"
  std::string_view hint;
  bool transient = false;  // worth retrying (corruption on the wire)
};

DeviceErrorInfo describe_device_error(LoaderMode mode, std::uint8_t code);

// DeviceStatusError "loader.device_error.<name>": "<OPCODE> failed: ROM error 0x07 (invalid
// CRC/checksum in message)".
DeviceStatusError device_status_error(Opcode opcode, LoaderMode mode, const Status& status);

// True when a DeviceStatusError's code names a transient device error (see DeviceErrorInfo).
bool is_transient_device_error(const Error& error);

}  // namespace espfab::loader
