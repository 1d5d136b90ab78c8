// Response packets (docs/serial-protocol.md §2.2): header (direction 1, opcode, size, value), then result bytes and
// the status trailer, whose layout differs: ROM [failed, code, 0, 0], stub [code, 0].
#pragma once

#include <cstdint>

#include "loader/opcode.hpp"
#include "util/bytes.hpp"
#include "util/result.hpp"

namespace espfab::loader {

enum class LoaderMode { Rom, Stub };

std::string_view to_string(LoaderMode mode);

constexpr std::size_t status_length(LoaderMode mode) { return mode == LoaderMode::Rom ? 4 : 2; }

struct Response {
  Opcode opcode = Opcode::Sync;
  std::uint32_t value = 0;
  Bytes data;  // result bytes + status trailer (the frame's length counts, not the size field)
};

// A frame that is a response: direction 1 and at least 8 bytes. Anything else (a stray data
// frame, OHAI) is an expected outcome the caller skips.
Result<Response> parse_response(ByteView frame);

struct Status {
  bool failed = false;
  std::uint8_t error = 0;   // ROM: byte 1; stub: byte 0
  std::uint8_t detail = 0;  // stub byte 1 (ROM return value after SPI_SET_PARAMS), ROM byte 2
};

struct Reply {
  std::uint32_t value = 0;
  Bytes result;  // data before the status trailer (MD5, security info, READ_FLASH_SLOW bytes)
  Status status;
};

// Splits off the status trailer for `mode`. Error when data is shorter than the trailer
// ("Only got 2 byte status response": a stub answering a host that thinks it is the ROM).
Result<Reply> decode_reply(const Response& response, LoaderMode mode);

// "Unsupported command" as esptool detects it: a response for another opcode whose data starts
// [non-zero, 0x05].
bool is_unsupported_reply(const Response& response, Opcode requested);

}  // namespace espfab::loader
