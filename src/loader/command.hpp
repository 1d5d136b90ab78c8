// Commands as pure values (docs/serial-protocol.md §2.1, §3): opcode, payload, checksum and the timeout that command
// needs. Building one does no I/O; encode_request gives the exact bytes before SLIP framing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "loader/opcode.hpp"
#include "loader/timeouts.hpp"
#include "util/bytes.hpp"

namespace espfab::loader {

struct Command {
  Opcode opcode = Opcode::Sync;
  Bytes payload;
  std::uint32_t checksum = 0;
  std::chrono::milliseconds timeout = kDefaultTimeout;
};

// 8-byte header (direction 0, opcode, size LE16, checksum LE32) + payload.
Bytes encode_request(const Command& command);

// 0xEF XOR every byte (docs/serial-protocol.md §2.1): the checksum of *_DATA commands.
std::uint8_t data_checksum(ByteView data);

// Block sizes (docs/serial-protocol.md §4.2).
inline constexpr std::uint32_t kRamBlockSize = 0x1800;  // ESP_RAM_BLOCK
// The ROM FLASH_WRITE_SIZE is a chip fact: ChipDescription::rom_flash_write_block.
inline constexpr std::uint32_t kStubFlashBlockSize = 0x4000;  // stub FLASH_WRITE_SIZE
inline constexpr std::uint32_t kReadFlashPacketSize = 0x1000;
inline constexpr std::uint32_t kReadFlashSlowChunk = 64;

// One 16-byte WRITE_REG record.
struct RegisterWrite {
  std::uint32_t address = 0;
  std::uint32_t value = 0;
  std::uint32_t mask = 0xFFFFFFFF;
  std::chrono::microseconds delay{0};
};

namespace commands {

Command sync();
Command read_reg(std::uint32_t address);
Command write_reg(std::span<const RegisterWrite> writes);

// FLASH_BEGIN / FLASH_DEFL_BEGIN. `encrypted` is the 5th word the S3 ROM takes; the stub gets
// 16 bytes (pass std::nullopt). `timeout` is chosen by the caller (ROM erases up front).
Command flash_begin(std::uint32_t erase_size, std::uint32_t num_blocks, std::uint32_t block_size, std::uint32_t offset,
                    std::optional<bool> encrypted, std::chrono::milliseconds timeout);
Command flash_defl_begin(std::uint32_t size, std::uint32_t num_blocks, std::uint32_t block_size, std::uint32_t offset,
                         std::optional<bool> encrypted, std::chrono::milliseconds timeout);
// *_DATA: 16-byte sub-header (length, seq, 0, 0) + data; checksum over `data` only.
Command flash_data(ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout);
Command flash_defl_data(ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout);
Command flash_encrypt_data(ByteView data, std::uint32_t sequence, std::chrono::milliseconds timeout);
Command mem_data(ByteView data, std::uint32_t sequence);
// FLASH_END / FLASH_DEFL_END: the word is 1 - reboot (0 = reboot, 1 = stay in the loader).
Command flash_end(bool reboot);
Command flash_defl_end(bool reboot);
Command mem_begin(std::uint32_t size, std::uint32_t num_blocks, std::uint32_t block_size, std::uint32_t address);
// MEM_END: word0 = 1 when entry is 0 (no jump), word1 = entry.
Command mem_end(std::uint32_t entry);
// SPI_ATTACH: 8 bytes to the ROM (config + 4 zero bytes), 4 to the stub.
Command spi_attach(std::uint32_t config, bool rom);
// SPI_SET_PARAMS as esptool sends it: id 0, total size, 64 KiB block, 4 KiB sector, 256 B page, 0xFFFF.
Command spi_set_params(std::uint32_t total_size);
// CHANGE_BAUDRATE(new, old); old is 0 when talking to the ROM.
Command change_baudrate(std::uint32_t new_baud, std::uint32_t old_baud);
Command spi_flash_md5(std::uint32_t address, std::uint32_t size);
Command get_security_info();
Command read_flash_slow(std::uint32_t address, std::uint32_t size);
Command erase_flash();
Command erase_region(std::uint32_t address, std::uint32_t size);
Command read_flash(std::uint32_t address, std::uint32_t size, std::uint32_t packet_size, std::uint32_t max_in_flight);

}  // namespace commands

}  // namespace espfab::loader
