// Byte buffers, hex text and little-endian access with bounds checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace espfab {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Lower-case hex, no separators ("e9050203").
std::string to_hex(ByteView bytes);
// Accepts upper or lower case, optional "0x" prefix, and ':' or ' ' separators between bytes;
// throws BadInputError on odd length or a non-hex character.
Bytes from_hex(std::string_view text);

Bytes to_bytes(std::string_view text);

std::uint16_t load_le16(ByteView bytes, std::size_t offset);
std::uint32_t load_le32(ByteView bytes, std::size_t offset);
void store_le16(std::span<std::uint8_t> bytes, std::size_t offset, std::uint16_t value);
void store_le32(std::span<std::uint8_t> bytes, std::size_t offset, std::uint32_t value);
void append_le16(Bytes& out, std::uint16_t value);
void append_le32(Bytes& out, std::uint32_t value);

constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Sequential reader over untrusted bytes: every read checks the remaining length and throws
// BadInputError with `what` in the message ("truncated image: segment 2 header needs 8 bytes at
// offset 0x1230, 4 left").
class ByteReader {
 public:
  ByteReader(ByteView bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  std::size_t offset() const noexcept { return offset_; }
  std::size_t remaining() const noexcept { return bytes_.size() - offset_; }
  ByteView whole() const noexcept { return bytes_; }

  std::uint8_t u8(std::string_view field);
  std::uint16_t u16(std::string_view field);
  std::uint32_t u32(std::string_view field);
  ByteView take(std::size_t count, std::string_view field);
  void skip(std::size_t count, std::string_view field);
  void seek(std::size_t offset, std::string_view field);

 private:
  void need(std::size_t count, std::string_view field) const;

  ByteView bytes_;
  std::string what_;
  std::size_t offset_ = 0;
};

// "0x00008000" style, as esptool prints addresses.
std::string hex32(std::uint32_t value);
// "0x8000" style (no padding).
std::string hex(std::uint64_t value);

}  // namespace espfab
