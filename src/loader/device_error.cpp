#include "loader/device_error.hpp"

#include <fmt/format.h>

#include <array>

namespace espfab::loader {

namespace {

struct Row {
  std::uint8_t code;
  DeviceErrorInfo info;
};

constexpr std::string_view kWireHint =
    "the data was damaged on the way; check the cable and lower --baud if it happens again";

constexpr std::array<Row, 7> kRomErrors{{
    {0x05,
     {"invalid_message", "received message invalid (bad parameters or length)",
      "the ROM rejected the command's parameters; this may be a command the ROM does not support", false}},
    {0x06,
     {"failed_to_act", "failed to act on message", "the chip could not carry out the command; reset it and retry",
      false}},
    {0x07, {"invalid_crc", "invalid CRC/checksum in message", kWireHint, true}},
    {0x08,
     {"flash_write_error", "flash write error (read-back verify failed)",
      "the flash did not take the data: check the module's flash power and write protection", false}},
    {0x09, {"flash_read_error", "flash read error", "check the module's flash chip and its power supply", false}},
    {0x0A, {"flash_read_length_error", "flash read length error", "read fewer bytes per request", false}},
    {0x0B,
     {"deflate_error", "deflate error", "the compressed stream was damaged; retry, or write with --no-compress", true}},
}};

constexpr std::array<Row, 11> kStubErrors{{
    {0xC0,
     {"bad_data_len", "wrong payload length for the command",
      "the stub and the host disagree on a command layout; the chip may be in ROM mode", false}},
    {0xC1, {"bad_data_checksum", "data checksum mismatch", kWireHint, true}},
    {0xC2, {"bad_blocksize", "block size larger than 0x4000", "this is a bug in espfab; please report it", false}},
    {0xC3, {"invalid_command", "invalid command", "the stub does not know this command; load a newer stub", false}},
    {0xC4,
     {"failed_spi_op", "SPI flash operation failed", "check the module's flash chip and its power supply", false}},
    {0xC5,
     {"failed_spi_unlock", "SPI flash unlock failed", "the flash may be write-protected (status register)", false}},
    {0xC6,
     {"not_in_flash_mode", "data or end command without a preceding begin",
      "the stub lost the write session (it may have been reset); write again", false}},
    {0xC7,
     {"inflate_error", "inflate error", "the compressed stream was damaged; retry, or write with --no-compress", true}},
    {0xC8, {"not_enough_data", "end command while bytes remain", "the transfer was cut short; write again", true}},
    {0xC9, {"too_much_data", "more data than announced", "this is a bug in espfab; please report it", false}},
    {0xFF,
     {"cmd_not_implemented", "command not implemented by the stub",
      "the stub does not support this command; try without --stub", false}},
}};

constexpr DeviceErrorInfo kUnknown{"unknown", "unknown error code", "reset the chip and retry", false};

}  // namespace

DeviceErrorInfo describe_device_error(LoaderMode mode, std::uint8_t code) {
  if (mode == LoaderMode::Rom) {
    for (const auto& row : kRomErrors)
      if (row.code == code) return row.info;
  } else {
    for (const auto& row : kStubErrors)
      if (row.code == code) return row.info;
  }
  return kUnknown;
}

DeviceStatusError device_status_error(Opcode opcode, LoaderMode mode, const Status& status) {
  const DeviceErrorInfo info = describe_device_error(mode, status.error);
  std::string message =
      fmt::format("{} failed: {} error 0x{:02x} ({})", to_string(opcode), to_string(mode), status.error, info.meaning);
  if (mode == LoaderMode::Stub && status.detail != 0) message += fmt::format(", detail 0x{:02x}", status.detail);
  return DeviceStatusError(fmt::format("loader.device_error.{}", info.name), std::move(message),
                           std::string(info.hint));
}

bool is_transient_device_error(const Error& error) {
  if (error.kind() != ErrorKind::DeviceStatus) return false;
  for (const auto& row : kRomErrors)
    if (row.info.transient && error.code() == fmt::format("loader.device_error.{}", row.info.name)) return true;
  for (const auto& row : kStubErrors)
    if (row.info.transient && error.code() == fmt::format("loader.device_error.{}", row.info.name)) return true;
  return false;
}

}  // namespace espfab::loader
