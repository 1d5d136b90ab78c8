// The partition-table conversion of the CLI (`espfab partition-table`) as one service: ESP-IDF
// partition table CSV -> binary, or binary -> CSV, decided by the input's first bytes; the table is
// checked like gen_esp32part.py and written (atomically) only when no problem was found. See
// docs/partition-table.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "image/partition_table.hpp"
#include "util/error.hpp"

namespace espfab::service {

struct PartitionTableRequest {
  std::filesystem::path input{};   // a CSV, or a binary (starts with AA 50, EB EB or FF)
  std::filesystem::path output{};  // empty: convert and check only
  std::string flash_size{};        // a flash size name ("8MB"): check that the partitions fit; empty: no check
  std::uint32_t table_offset = 0x8000;
  bool md5 = true;     // write the MD5 entry (CSV input) / check it (binary input)
  bool verify = true;  // the layout checks (alignment, overlap, otadata, nvs, names); flash_size applies anyway
};

struct PartitionTableResult {
  bool from_binary = false;  // the input was a binary (the output is CSV)
  image::PartitionTable table;
  // Every layout problem found; when there is any nothing was converted or written.
  std::vector<BadInputError> problems;
  std::size_t output_size = 0;  // bytes of the converted table (written when `output` is set)
};

// Throws BadInputError cli.bad_flash_size for an unknown flash size name, the parser's and
// writer's errors (with the input or output format as context), and IoError for the files.
PartitionTableResult convert_partition_table(const PartitionTableRequest& request);

}  // namespace espfab::service
