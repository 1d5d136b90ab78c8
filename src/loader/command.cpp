#include "loader/command.hpp"

#include <algorithm>
#include <iterator>

#include "util/error.hpp"

namespace espfab::loader {

namespace {

Bytes words(std::initializer_list<std::uint32_t> values) {
  Bytes out;
  out.reserve(values.size() * 4);
  for (const std::uint32_t value : values) append_le32(out, value);
  return out;
}

Command data_command(Opcode opcode, ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout) {
  Command command{opcode, words({static_cast<std::uint32_t>(data.size()), sequence, 0, 0}), data_checksum(data),
                  timeout};
  command.payload.insert(command.payload.end(), data.begin(), data.end());
  return command;
}

}  // namespace

Bytes encode_request(const Command& command) {
  if (command.payload.size() > 0xFFFF) {
    throw InternalError("loader.payload_too_large",
                        std::string(to_string(command.opcode)) + " payload does not fit the 16-bit size field");
  }
  Bytes out;
  out.reserve(8 + command.payload.size());
  out.push_back(0x00);
  out.push_back(static_cast<std::uint8_t>(command.opcode));
  append_le16(out, static_cast<std::uint16_t>(command.payload.size()));
  append_le32(out, command.checksum);
  out.insert(out.end(), command.payload.begin(), command.payload.end());
  return out;
}

std::uint8_t data_checksum(ByteView data) {
  std::uint8_t sum = 0xEF;
  for (const std::uint8_t byte : data) sum ^= byte;
  return sum;
}

namespace commands {

Command sync() {
  Command command{Opcode::Sync, Bytes(36, 0x55), 0, kSyncTimeout};
  const std::uint8_t head[] = {0x07, 0x07, 0x12, 0x20};
  std::copy(std::begin(head), std::end(head), command.payload.begin());
  return command;
}

Command read_reg(std::uint32_t address) { return {Opcode::ReadReg, words({address}), 0, kDefaultTimeout}; }

Command write_reg(std::span<const RegisterWrite> writes) {
  Command command{Opcode::WriteReg, {}, 0, kDefaultTimeout};
  for (const auto& write : writes) {
    append_le32(command.payload, write.address);
    append_le32(command.payload, write.value);
    append_le32(command.payload, write.mask);
    append_le32(command.payload, static_cast<std::uint32_t>(write.delay.count()));
  }
  return command;
}

Command flash_begin(std::uint32_t erase_size, std::uint32_t num_blocks, std::uint32_t block_size, std::uint32_t offset,
                    std::optional<bool> encrypted, std::chrono::milliseconds timeout) {
  Command command{Opcode::FlashBegin, words({erase_size, num_blocks, block_size, offset}), 0, timeout};
  if (encrypted) append_le32(command.payload, *encrypted ? 1 : 0);
  return command;
}

Command flash_defl_begin(std::uint32_t size, std::uint32_t num_blocks, std::uint32_t block_size, std::uint32_t offset,
                         std::optional<bool> encrypted, std::chrono::milliseconds timeout) {
  Command command{Opcode::FlashDeflBegin, words({size, num_blocks, block_size, offset}), 0, timeout};
  if (encrypted) append_le32(command.payload, *encrypted ? 1 : 0);
  return command;
}

Command flash_data(ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout) {
  return data_command(Opcode::FlashData, data, sequence, timeout);
}

Command flash_defl_data(ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout) {
  return data_command(Opcode::FlashDeflData, data, sequence, timeout);
}

Command flash_encrypt_data(ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout) {
  return data_command(Opcode::FlashEncryptData, data, sequence, timeout);
}

Command mem_data(ByteView data, std::uint32_t sequence) {
  return data_command(Opcode::MemData, data, sequence, kDefaultTimeout);
}

Command flash_end(bool reboot) { return {Opcode::FlashEnd, words({reboot ? 0u : 1u}), 0, kDefaultTimeout}; }

Command flash_defl_end(bool reboot) { return {Opcode::FlashDeflEnd, words({reboot ? 0u : 1u}), 0, kDefaultTimeout}; }

Command mem_begin(std::uint32_t size, std::uint32_t num_blocks, std::uint32_t block_size, std::uint32_t address) {
  return {Opcode::MemBegin, words({size, num_blocks, block_size, address}), 0, kDefaultTimeout};
}

Command mem_end(std::uint32_t entry) {
  return {Opcode::MemEnd, words({entry == 0 ? 1u : 0u, entry}), 0, kDefaultTimeout};
}

Command spi_attach(std::uint32_t config, bool rom) {
  Command command{Opcode::SpiAttach, words({config}), 0, kDefaultTimeout};
  if (rom) append_le32(command.payload, 0);
  return command;
}

Command spi_set_params(std::uint32_t total_size) {
  return {Opcode::SpiSetParams, words({0, total_size, 0x10000, 0x1000, 0x100, 0xFFFF}), 0, kDefaultTimeout};
}

Command change_baudrate(std::uint32_t new_baud, std::uint32_t old_baud) {
  return {Opcode::ChangeBaudrate, words({new_baud, old_baud}), 0, kDefaultTimeout};
}

Command spi_flash_md5(std::uint32_t address, std::uint32_t size) {
  return {Opcode::SpiFlashMd5, words({address, size, 0, 0}), 0, timeout_per_mb(kMd5TimeoutPerMb, size)};
}

Command get_security_info() { return {Opcode::GetSecurityInfo, {}, 0, kDefaultTimeout}; }

Command read_flash_slow(std::uint32_t address, std::uint32_t size) {
  return {Opcode::ReadFlashSlow, words({address, size}), 0, kDefaultTimeout};
}

Command erase_flash() { return {Opcode::EraseFlash, {}, 0, kChipEraseTimeout}; }

Command erase_region(std::uint32_t address, std::uint32_t size) {
  return {Opcode::EraseRegion, words({address, size}), 0, timeout_per_mb(kEraseRegionTimeoutPerMb, size)};
}

Command read_flash(std::uint32_t address, std::uint32_t size, std::uint32_t packet_size, std::uint32_t max_in_flight) {
  return {Opcode::ReadFlash, words({address, size, packet_size, max_in_flight}), 0, kDefaultTimeout};
}

}  // namespace commands

}  // namespace espfab::loader
