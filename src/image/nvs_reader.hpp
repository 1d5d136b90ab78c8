// Reads an NVS partition back: pages, entries, namespaces, values (multi-page blobs reassembled),
// every CRC checked; decrypts an encrypted partition with its nvs_keys key first. For `espfab nvs
// info`, for tests, and for the emulator checking what the station wrote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "image/nvs_format.hpp"
#include "image/nvs_keys.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::image {

struct NvsPageInfo {
  std::size_t index = 0;
  std::uint32_t state = 0;
  std::uint32_t sequence = 0;
  std::uint8_t version = 0;
  bool header_crc_valid = false;
  std::size_t entries_used = 0;  // slots not marked empty in the bitmap
};

// One logical value: an integer, a string, a v1 blob, or a v2 blob joined from its chunks.
struct NvsValue {
  std::uint8_t namespace_index = 0;
  std::string namespace_name;  // empty when no namespace entry defines the index
  std::string key;
  // Integer types, String, BlobV1; BlobIndex stands for a reassembled v2 blob.
  NvsType type = NvsType::U8;
  std::uint64_t integer_bits = 0;
  SecretBytes data;  // string (without its NUL) or blob bytes
  std::size_t page = 0;
  std::size_t slot = 0;
  bool crc_valid = true;  // entry and data CRCs (all chunks for a v2 blob)

  std::int64_t as_signed() const;  // integer types: sign-extended
};

struct NvsNamespace {
  std::uint8_t index = 0;
  std::string name;
};

struct NvsPartitionContents {
  std::vector<NvsPageInfo> pages;  // initialised pages (state not 0xFFFFFFFF)
  std::vector<NvsNamespace> namespaces;
  std::vector<NvsValue> values;
  // Structural findings: bad header/entry/data CRCs, impossible spans, orphan chunks, ...
  std::vector<std::string> problems;

  bool valid() const noexcept { return problems.empty(); }
  const NvsValue* find(std::string_view namespace_name, std::string_view key) const noexcept;
};

// Throws BadInputError when the size is not a multiple of 4096. Without keys an encrypted
// partition reads as entries with bad CRCs (reported in `problems`).
NvsPartitionContents read_nvs_partition(ByteView partition, const NvsKeys* keys = nullptr);

// The plaintext image: every used entry slot decrypted, headers and bitmaps as they are (what
// nvs_partition_gen.py decrypt writes). Secret: it holds the values in clear.
SecretBytes decrypt_nvs_partition(ByteView partition, const NvsKeys& keys);

}  // namespace espfab::image
