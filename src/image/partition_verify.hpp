// Checks a partition table against ESP-IDF's rules (gen_esp32part.py 1.5 verify(), docs/idf-flash-formats.md §1
// "Verification") and collects every problem instead of stopping at the first, so an operator sees
// them all at once. Each problem is a BadInputError naming the line (or binary entry),
// the partition and the rule, with a hint to fix it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "image/partition_table.hpp"
#include "util/error.hpp"

namespace espfab::image {

struct PartitionVerifyOptions {
  // Flash offset of the table: nothing but the bootloader may lie below offset + 0x1000.
  std::uint32_t table_offset = 0x8000;
  // Flash size in bytes; when set, the last partition must end within it.
  std::optional<std::uint64_t> flash_size;
};

// Every rule: offset alignment (0x10000 app, 0x1000 others), app size a multiple of 0x1000, names
// (1..16 bytes, no control characters, unique), nothing below the table sector, no overlap, at most
// one otadata and one tee_ota, each exactly 0x2000, ota/coredump never readonly, nvs below 0x3000
// only readonly, offset + size within 4 GiB, and the flash size when given. Empty = valid.
std::vector<BadInputError> find_partition_problems(const PartitionTable& table, const PartitionVerifyOptions& options);

// Only the flash-size rule (what still applies with --no-verify).
std::optional<BadInputError> flash_size_problem(const PartitionTable& table, std::uint64_t flash_size);

// Throws when find_partition_problems finds anything: the one problem itself, or a BadInputError
// "partition_table.invalid" whose message lists them all.
void verify_partition_table(const PartitionTable& table, const PartitionVerifyOptions& options);

}  // namespace espfab::image
