// NVS partition format constants and the items written into one (docs/idf-flash-formats.md §2):
// 4096-byte pages of a 32-byte header, a 32-byte entry-state bitmap and 126 entries of 32 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::image {

inline constexpr std::size_t kNvsPageSize = 4096;
inline constexpr std::size_t kNvsEntrySize = 32;
inline constexpr std::size_t kNvsEntriesPerPage = 126;
inline constexpr std::size_t kNvsFirstEntryOffset = 64;  // header + bitmap
inline constexpr std::size_t kNvsBitmapOffset = 32;
inline constexpr std::size_t kNvsMaxKeyLength = 15;
inline constexpr std::size_t kNvsMaxStringV2 = 4000;  // incl. the NUL
inline constexpr std::size_t kNvsMaxBlobV1 = 1984;    // v1 blobs and v1 strings
inline constexpr std::size_t kNvsMinPagesWithSpare = 3;

inline constexpr std::uint32_t kNvsPageEmpty = 0xFFFFFFFF;
inline constexpr std::uint32_t kNvsPageActive = 0xFFFFFFFE;
inline constexpr std::uint32_t kNvsPageFull = 0xFFFFFFFC;
inline constexpr std::uint32_t kNvsPageFreeing = 0xFFFFFFF8;
inline constexpr std::uint32_t kNvsPageCorrupt = 0xFFFFFFF0;

inline constexpr std::uint8_t kNvsChunkAny = 0xFF;

enum class NvsVersion : std::uint8_t { V1 = 0xFF, V2 = 0xFE };

// Entry type byte.
enum class NvsType : std::uint8_t {
  U8 = 0x01,
  I8 = 0x11,
  U16 = 0x02,
  I16 = 0x12,
  U32 = 0x04,
  I32 = 0x14,
  U64 = 0x08,
  I64 = 0x18,
  String = 0x21,
  BlobV1 = 0x41,
  BlobData = 0x42,
  BlobIndex = 0x48,
};

// "u8", "string", "blob", "blob_data", "blob_index"; nullopt for unknown bytes.
std::optional<std::string_view> nvs_type_name(std::uint8_t type);
bool nvs_type_is_integer(std::uint8_t type);
// Bytes of an integer type (1, 2, 4, 8); 0 for others.
std::size_t nvs_integer_size(std::uint8_t type);
bool nvs_integer_is_signed(std::uint8_t type);

// One row of an NVS partition's content, in writing order: a namespace, an integer, a string or
// a blob. Values that may be secret (strings, blobs) are held in SecretBytes.
struct NvsItem {
  enum class Kind { Namespace, Integer, String, Blob };

  Kind kind = Kind::Namespace;
  std::string key;                 // the namespace name for Kind::Namespace
  NvsType type = NvsType::U8;      // Integer: its width/sign
  std::uint64_t integer_bits = 0;  // Integer: the value's two's-complement bits
  SecretBytes data;                // String (UTF-8, without NUL) or Blob bytes
  std::size_t line = 0;            // CSV line, 0 when built in code (for messages)

  static NvsItem make_namespace(std::string name);
  static NvsItem make_unsigned(std::string key, NvsType type, std::uint64_t value);
  static NvsItem make_signed(std::string key, NvsType type, std::int64_t value);
  static NvsItem make_string(std::string key, std::string_view text);
  static NvsItem make_blob(std::string key, ByteView bytes);
  static NvsItem make_blob(std::string key, SecretBytes bytes);
};

}  // namespace espfab::image
