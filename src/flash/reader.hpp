// Reading flash back: with the stub, READ_FLASH streams 4 KiB packets under ack flow control
// (docs/serial-protocol.md §4.5) and ends with an MD5 of the data; with the ROM, READ_FLASH_SLOW returns 64 bytes per
// command.
#pragma once

#include <cstdint>

#include "loader/session.hpp"
#include "util/bytes.hpp"
#include "util/progress.hpp"

namespace espfab::flash {

struct ReadOptions {
  std::uint32_t packet_size = 0x1000;
  std::uint32_t max_in_flight = 64;
  ProgressCallback progress;
};

// Throws TimeoutError flash.read_timeout, ProtocolError flash.read_bad_packet /
// flash.read_md5_mismatch, with the offset reached in the message.
Bytes read_flash(loader::Session& session, std::uint32_t address, std::uint32_t size, const ReadOptions& options);

// The pieces, for callers that manage the loader themselves.
Bytes read_flash_stub(loader::LoaderClient& client, std::uint32_t address, std::uint32_t size,
                      const ReadOptions& options);
Bytes read_flash_rom(loader::LoaderClient& client, std::uint32_t address, std::uint32_t size,
                     const ReadOptions& options);

}  // namespace espfab::flash
