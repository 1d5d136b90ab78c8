// NVS partition writer: items -> a partition binary laid out exactly as esp-idf-nvs-partition-gen
// 0.2.0 lays it out (docs/idf-flash-formats.md §2, vectors tests/vectors/nvs/), optionally
// XTS-AES encrypted with an nvs_keys key. Built in memory; with keys, every entry slot is
// encrypted as it is written, so the output buffer never holds plaintext values.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "image/nvs_format.hpp"
#include "image/nvs_keys.hpp"
#include "util/bytes.hpp"

namespace espfab::image {

struct NvsBuildOptions {
  NvsVersion version = NvsVersion::V2;
  const NvsKeys* keys = nullptr;  // encrypt when set
};

struct NvsBuildResult {
  // `size` bytes; for a partition of fewer than 3 pages (read-only, no spare page) only the pages
  // written, as the generator does.
  Bytes partition;
  std::size_t pages_used = 0;
  // Things the operator should know: "line 18: namespace 'factory' re-opened; nvs_partition_gen
  // keeps writing to 'wifi' (index 2), so does espfab".
  std::vector<std::string> warnings;
};

// Quirks copied for byte identity: entries after a re-opened namespace keep the index of the most
// recently created namespace; a string or v1 blob that would end on the page's last slot starts a
// new page; a v2 blob chunk fills its page to the last slot; the last page written is ACTIVE,
// earlier ones FULL; pages after it stay 0xFF. Throws BadInputError on a bad key or value, a value
// before the first namespace, Wi-Fi helper keys the generator expands (sta.ssid, ...), or data that
// does not fit (`nvs.too_small`).
NvsBuildResult build_nvs_partition(std::span<const NvsItem> items, std::size_t size, const NvsBuildOptions& options);

}  // namespace espfab::image
