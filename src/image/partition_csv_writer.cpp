#include "image/partition_csv_writer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/error.hpp"

namespace espfab::image {

namespace {

std::string size_field(std::uint32_t size) {
  if (size % 0x100000 == 0) return fmt::format("{}M", size / 0x100000);
  if (size % 0x400 == 0) return fmt::format("{}K", size / 0x400);
  return fmt::format("{:#x}", size);
}

std::string flags_field(const PartitionEntry& entry) {
  if (entry.encrypted && entry.readonly) return "encrypted:readonly";
  if (entry.encrypted) return "encrypted";
  if (entry.readonly) return "readonly";
  return {};
}

void check_name(const PartitionEntry& entry, std::size_t index) {
  const std::string& name = entry.name;
  const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7F || c == ',' || c == '$';
  });
  const bool padded = !name.empty() && (name.front() == ' ' || name.back() == ' ');
  if (bad_char || padded || name.starts_with('#')) {
    throw BadInputError(
        "partition_table.name_not_csv",
        fmt::format("{}: partition name '{}' cannot be written as a CSV field", entry_location(entry, index), name),
        "names in CSV may not contain commas, '$' or control characters, start with '#', or begin or "
        "end with a space; rename the partition");
  }
}

}  // namespace

std::string write_partition_csv(const PartitionTable& table) {
  std::string out = "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n";
  for (std::size_t i = 0; i < table.entries.size(); ++i) {
    const auto& entry = table.entries[i];
    check_name(entry, i);
    out +=
        fmt::format("{},{},{},{:#x},{},{}\n", entry.name, type_text(entry.type),
                    subtype_text(entry.type, entry.subtype), entry.offset, size_field(entry.size), flags_field(entry));
  }
  return out;
}

}  // namespace espfab::image
