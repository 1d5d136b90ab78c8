// Reads a partition table from ESP-IDF CSV text (the syntax of gen_esp32part.py 1.5, docs/idf-flash-formats.md §1 "CSV
// input rules"): name, type, subtype, offset, size, flags; keywords or numbers; K/M suffixes;
// automatic offsets; negative sizes; $VAR expansion; a leading UTF-8 BOM is skipped. Every error
// is a BadInputError that names the line, the partition and the rule, with a hint to fix it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "chip/chip_description.hpp"
#include "image/partition_table.hpp"

namespace espfab::image {

// Looks up an environment variable; nullopt when it is not set. Injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (std::getenv).
std::optional<std::string> process_environment(std::string_view name);

struct PartitionCsvOptions {
  // Flash offset of the table; the first automatic offset is this + 0x1000.
  std::uint32_t table_offset = 0x8000;
  // Offsets that bootloader partitions get from the chip, not from the CSV.
  std::uint32_t primary_bootloader_offset = 0x0;
  std::optional<std::uint32_t> recovery_bootloader_offset;  // ESP32-S3 has none
  EnvLookup environment = process_environment;

  // The table offset and bootloader offset of a chip.
  static PartitionCsvOptions for_chip(const chip::ChipDescription& chip);
};

// Parses the whole text; line numbers in errors are 1-based and count comments and blank lines.
PartitionTable parse_partition_csv(std::string_view text, const PartitionCsvOptions& options = {});

// One number as Python's int(x, 0) reads it (decimal, 0x, 0o, 0b, '_' between digits, sign) with
// an optional K/k (x1024) or M/m (x1024*1024) suffix. nullopt when it is not such a number or its
// magnitude exceeds 2^53.
std::optional<std::int64_t> parse_partition_number(std::string_view text);

}  // namespace espfab::image
