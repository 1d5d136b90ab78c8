// Fuzzes the partition-table CSV reader: any input parses or throws espfab::Error, never crashes.
// A table that parses and verifies must survive both writers: binary -> read back, and CSV ->
// parse back, to the same table.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "image/partition_csv_writer.hpp"
#include "image/partition_verify.hpp"
#include "util/error.hpp"

namespace {

espfab::image::PartitionCsvOptions fuzz_options() {
  espfab::image::PartitionCsvOptions options;
  options.environment = [](std::string_view name) -> std::optional<std::string> {
    if (name == "OFFSET") return "0x9000";
    if (name == "SIZE") return "24K";
    if (name == "NAME") return "nvs";
    return std::nullopt;
  };
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace espfab::image;
  static const PartitionCsvOptions options = fuzz_options();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  PartitionTable table;
  try {
    table = parse_partition_csv(text, options);
  } catch (const espfab::Error&) {
    return 0;
  }
  if (!find_partition_problems(table, {.table_offset = options.table_offset}).empty()) return 0;

  espfab::Bytes binary;
  try {
    binary = write_partition_binary(table);
  } catch (const espfab::BadInputError&) {
    binary.clear();  // too many entries for one table: a refusal, not a bug
  }
  if (!binary.empty()) {
    if (binary.size() != kPartitionTableMaxLength) std::abort();
    if (read_partition_binary(binary) != table) std::abort();  // throws = bug, libFuzzer reports it
  }

  std::string csv;
  try {
    csv = write_partition_csv(table);
  } catch (const espfab::BadInputError&) {
    return 0;  // a name that cannot be a CSV field
  }
  if (parse_partition_csv(csv, options) != table) std::abort();
  return 0;
}
