// The NVS operations of the CLI (`espfab nvs generate|encrypt|keygen|info`) as one service each:
// build a partition from an nvs_partition_gen CSV (optionally XTS-AES encrypted) and write it, make
// an nvs_keys partition, and read a partition back with the decision of which values may be shown.
// Partitions and keys are written atomically with mode 0600. See docs/identity.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image/nvs_format.hpp"
#include "image/nvs_reader.hpp"

namespace espfab::service {

struct NvsGenerateRequest {
  std::filesystem::path csv{};  // key,type,encoding,value; `file` rows relative to the current directory
  std::uint32_t size = 0;       // partition size, a multiple of 0x1000
  image::NvsVersion version = image::NvsVersion::V2;
  std::filesystem::path keyfile{};  // set: encrypt with these keys (nvs_keys partition or 64 raw bytes)
  std::filesystem::path output{};
};

struct NvsGenerateResult {
  std::size_t size = 0;  // bytes written
  std::size_t pages_used = 0;
  bool encrypted = false;
  std::vector<std::string> warnings;  // about the CSV ("line 19: namespace 'factory' is opened again ...")
};

// Reads the keys and the CSV, builds the partition byte-identical to nvs_partition_gen.py and
// writes it (mode 0600: a plain partition may hold the secrets the CSV put there). Throws
// BadInputError for bad CSV rows, keys or a partition too small, with nothing written.
NvsGenerateResult generate_nvs_partition(const NvsGenerateRequest& request);

struct NvsKeygenRequest {
  std::filesystem::path output{};
  std::filesystem::path hmac_key{};  // set: derive the keys from this 32-byte HMAC key; random keys otherwise
};

struct NvsKeygenResult {
  std::size_t size = 0;  // bytes written (4096)
  bool derived_from_hmac_key = false;
};

// Writes an nvs_keys partition (mode 0600) with random XTS-AES-256 keys or keys derived as
// nvs_partition_gen.py --key_protect_hmac does.
NvsKeygenResult generate_nvs_keys(const NvsKeygenRequest& request);

struct NvsInfoRequest {
  std::filesystem::path input{};
  std::filesystem::path keyfile{};  // set: decrypt with these keys
  bool show_values = false;         // blobs in hex, and strings that look like private keys
};

// One value of a partition as it may be shown: integers as numbers; strings and blobs by size and
// SHA-256, a string's text unless it looks like a private key (then its redaction), a blob's hex
// only when asked for.
struct NvsValueSummary {
  std::string namespace_name;
  std::uint8_t namespace_index = 0;
  std::string key;
  std::string type;  // "u8" ... "i64", "string", "blob"
  std::size_t page = 0;
  std::size_t slot = 0;
  bool crc_valid = true;
  std::optional<std::int64_t> signed_value;     // i8 ... i64
  std::optional<std::uint64_t> unsigned_value;  // u8 ... u64
  std::size_t size = 0;                         // strings and blobs
  std::string sha256;                           // strings and blobs: hex of the SHA-256 of the bytes
  std::optional<std::string> text;              // strings: the value, or "<redacted N bytes>"
  bool redacted = false;                        // `text` is the redaction
  std::optional<std::string> hex;               // blobs, with show_values only

  bool is_integer() const noexcept { return signed_value.has_value() || unsigned_value.has_value(); }
};

struct NvsInfoResult {
  std::size_t size = 0;    // bytes of the partition file
  bool decrypted = false;  // read with the keys of `keyfile`
  std::vector<image::NvsPageInfo> pages;
  std::vector<image::NvsNamespace> namespaces;
  std::vector<NvsValueSummary> values;
  std::vector<std::string> problems;  // CRC and structure findings

  bool valid() const noexcept { return problems.empty(); }
};

// Reads (and with keys decrypts) a partition and checks its CRCs; problems are returned, not
// thrown. Throws BadInputError when the file is not an NVS partition or the keys are bad.
NvsInfoResult inspect_nvs_partition(const NvsInfoRequest& request);

}  // namespace espfab::service
