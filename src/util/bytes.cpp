#include "util/bytes.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab {

std::string to_hex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    text.push_back(kDigits[b >> 4]);
    text.push_back(kDigits[b & 0xF]);
  }
  return text;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Bytes from_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  Bytes out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == ':' || c == ' ') && high < 0) continue;
    const int digit = hex_digit(c);
    if (digit < 0) {
      throw BadInputError("util.bad_hex", fmt::format("'{}' is not a hex digit (position {})", c, i),
                          "use hex digits 0-9, a-f, optionally separated by ':' between bytes");
    }
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | digit));
      high = -1;
    }
  }
  if (high >= 0) {
    throw BadInputError("util.bad_hex", "hex text has an odd number of digits", "write every byte as two hex digits");
  }
  return out;
}

Bytes to_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

std::uint16_t load_le16(ByteView bytes, std::size_t offset) {
  return static_cast<std::uint16_t>(bytes[offset] | (bytes[offset + 1] << 8));
}

std::uint32_t load_le32(ByteView bytes, std::size_t offset) {
  return static_cast<std::uint32_t>(bytes[offset]) | (static_cast<std::uint32_t>(bytes[offset + 1]) << 8) |
         (static_cast<std::uint32_t>(bytes[offset + 2]) << 16) | (static_cast<std::uint32_t>(bytes[offset + 3]) << 24);
}

void store_le16(std::span<std::uint8_t> bytes, std::size_t offset, std::uint16_t value) {
  bytes[offset] = static_cast<std::uint8_t>(value);
  bytes[offset + 1] = static_cast<std::uint8_t>(value >> 8);
}

void store_le32(std::span<std::uint8_t> bytes, std::size_t offset, std::uint32_t value) {
  for (std::size_t i = 0; i < 4; ++i) bytes[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

void append_le16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value));
  out.push_back(static_cast<std::uint8_t>(value >> 8));
}

void append_le32(Bytes& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void ByteReader::need(std::size_t count, std::string_view field) const {
  if (count > remaining()) {
    throw BadInputError("bytes.truncated",
                        fmt::format("truncated {}: {} needs {} bytes at offset {}, {} left", what_, field, count,
                                    hex(offset_), remaining()),
                        "the file is cut short or is not what it claims to be; rebuild or re-download it");
  }
}

std::uint8_t ByteReader::u8(std::string_view field) {
  need(1, field);
  return bytes_[offset_++];
}

std::uint16_t ByteReader::u16(std::string_view field) {
  need(2, field);
  const auto value = load_le16(bytes_, offset_);
  offset_ += 2;
  return value;
}

std::uint32_t ByteReader::u32(std::string_view field) {
  need(4, field);
  const auto value = load_le32(bytes_, offset_);
  offset_ += 4;
  return value;
}

ByteView ByteReader::take(std::size_t count, std::string_view field) {
  need(count, field);
  const auto view = bytes_.subspan(offset_, count);
  offset_ += count;
  return view;
}

void ByteReader::skip(std::size_t count, std::string_view field) { take(count, field); }

void ByteReader::seek(std::size_t offset, std::string_view field) {
  if (offset > bytes_.size()) {
    offset_ = bytes_.size();
    need(offset - bytes_.size(), field);
  }
  offset_ = offset;
}

std::string hex32(std::uint32_t value) { return fmt::format("{:#010x}", value); }
std::string hex(std::uint64_t value) { return fmt::format("{:#x}", value); }

}  // namespace espfab
