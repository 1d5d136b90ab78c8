#include "image/partition_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace espfab::image {

std::span<const PartitionKeyword> subtype_keywords(std::uint8_t type) {
  switch (type) {
    case kPartitionTypeApp: return partition_keywords::kAppSubtypes;
    case kPartitionTypeData: return partition_keywords::kDataSubtypes;
    case kPartitionTypeBootloader: return partition_keywords::kBootloaderSubtypes;
    case kPartitionTypePartitionTable: return partition_keywords::kPartitionTableSubtypes;
    default: return {};
  }
}

std::optional<std::uint8_t> find_keyword(std::span<const PartitionKeyword> keywords, std::string_view name) {
  for (const auto& keyword : keywords)
    if (keyword.name == name) return keyword.value;
  return std::nullopt;
}

std::optional<std::string_view> keyword_name(std::span<const PartitionKeyword> keywords, std::uint8_t value) {
  for (const auto& keyword : keywords)
    if (keyword.value == value) return keyword.name;
  return std::nullopt;
}

std::string type_text(std::uint8_t type) {
  if (auto name = keyword_name(partition_keywords::kTypes, type)) return std::string(*name);
  return std::to_string(type);
}

std::string subtype_text(std::uint8_t type, std::uint8_t subtype) {
  if (auto name = keyword_name(subtype_keywords(type), subtype)) return std::string(*name);
  return std::to_string(subtype);
}

bool PartitionEntry::is_primary_bootloader() const {
  return type == kPartitionTypeBootloader && subtype == kBootloaderSubtypePrimary;
}

bool PartitionEntry::is_primary_partition_table() const {
  return type == kPartitionTypePartitionTable && subtype == kPartitionTableSubtypePrimary;
}

bool operator==(const PartitionEntry& a, const PartitionEntry& b) {
  return a.name == b.name && a.type == b.type && a.subtype == b.subtype && a.offset == b.offset && a.size == b.size &&
         a.encrypted == b.encrypted && a.readonly == b.readonly;
}

const PartitionEntry* PartitionTable::find(std::string_view name) const {
  auto found = std::find_if(entries.begin(), entries.end(), [&](const PartitionEntry& e) { return e.name == name; });
  return found == entries.end() ? nullptr : &*found;
}

std::uint64_t PartitionTable::flash_end() const {
  std::uint64_t end = 0;
  for (const auto& entry : entries) end = std::max(end, entry.end());
  return end;
}

std::string entry_location(const PartitionEntry& entry, std::size_t index) {
  if (entry.line != 0) return fmt::format("line {}", entry.line);
  return fmt::format("entry {}", index + 1);
}

std::string address_text(std::uint64_t value) { return fmt::format("0x{:X}", value); }

}  // namespace espfab::image
