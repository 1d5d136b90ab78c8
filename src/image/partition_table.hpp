// The ESP-IDF partition table as a value: entries with name, type, subtype, offset, size and the
// two flags, plus the type/subtype keyword tables as data. Facts: docs/idf-flash-formats.md
// §1 (gen_esp32part.py 1.5). Parsing, checking and (de)serialising live in partition_csv*,
// partition_verify and partition_binary.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::image {

// Binary layout.
inline constexpr std::size_t kPartitionEntrySize = 32;
inline constexpr std::size_t kPartitionNameSize = 16;
// Output is always this long; the table itself (entries + MD5 entry) must stay below it.
inline constexpr std::size_t kPartitionTableMaxLength = 0xC00;
// The table occupies one flash sector: the first partition may start at table offset + this.
inline constexpr std::uint32_t kPartitionTableSectorSize = 0x1000;
inline constexpr std::array<std::uint8_t, 2> kPartitionEntryMagic{0xAA, 0x50};
inline constexpr std::array<std::uint8_t, 2> kPartitionMd5Magic{0xEB, 0xEB};
inline constexpr std::uint32_t kPartitionFlagEncrypted = 1u << 0;
inline constexpr std::uint32_t kPartitionFlagReadonly = 1u << 1;

// Types.
inline constexpr std::uint8_t kPartitionTypeApp = 0x00;
inline constexpr std::uint8_t kPartitionTypeData = 0x01;
inline constexpr std::uint8_t kPartitionTypeBootloader = 0x02;
inline constexpr std::uint8_t kPartitionTypePartitionTable = 0x03;
// 0xFF means "any" to ESP-IDF's partition API, so neither type nor subtype may be 0xFF.
inline constexpr std::uint8_t kPartitionMaxTypeValue = 0xFE;

// Subtypes the rules refer to.
inline constexpr std::uint8_t kAppSubtypeOtaFirst = 0x10;
inline constexpr std::uint8_t kAppSubtypeTeeFirst = 0x30;
inline constexpr std::uint8_t kDataSubtypeOta = 0x00;
inline constexpr std::uint8_t kDataSubtypeNvs = 0x02;
inline constexpr std::uint8_t kDataSubtypeCoredump = 0x03;
inline constexpr std::uint8_t kDataSubtypeUndefined = 0x06;
inline constexpr std::uint8_t kDataSubtypeTeeOta = 0x90;
inline constexpr std::uint8_t kBootloaderSubtypePrimary = 0x00;
inline constexpr std::uint8_t kBootloaderSubtypeRecovery = 0x02;
inline constexpr std::uint8_t kPartitionTableSubtypePrimary = 0x00;

// Sizes the rules refer to.
inline constexpr std::uint32_t kAppOffsetAlignment = 0x10000;
inline constexpr std::uint32_t kOtherOffsetAlignment = 0x1000;
inline constexpr std::uint32_t kAppSizeAlignment = 0x1000;
inline constexpr std::uint32_t kOtadataSize = 0x2000;
inline constexpr std::uint32_t kNvsReadWriteMinSize = 0x3000;

// A keyword of the CSV syntax and its number.
struct PartitionKeyword {
  std::string_view name;
  std::uint8_t value;
};

namespace partition_keywords {

inline constexpr std::array<PartitionKeyword, 4> kTypes{{
    {"app", kPartitionTypeApp},
    {"data", kPartitionTypeData},
    {"bootloader", kPartitionTypeBootloader},
    {"partition_table", kPartitionTypePartitionTable},
}};

inline constexpr std::array<PartitionKeyword, 20> kAppSubtypes{{
    {"factory", 0x00}, {"test", 0x20},   {"ota_0", 0x10},  {"ota_1", 0x11},  {"ota_2", 0x12},
    {"ota_3", 0x13},   {"ota_4", 0x14},  {"ota_5", 0x15},  {"ota_6", 0x16},  {"ota_7", 0x17},
    {"ota_8", 0x18},   {"ota_9", 0x19},  {"ota_10", 0x1A}, {"ota_11", 0x1B}, {"ota_12", 0x1C},
    {"ota_13", 0x1D},  {"ota_14", 0x1E}, {"ota_15", 0x1F}, {"tee_0", 0x30},  {"tee_1", 0x31},
}};

inline constexpr std::array<PartitionKeyword, 12> kDataSubtypes{{
    {"ota", kDataSubtypeOta},
    {"phy", 0x01},
    {"nvs", kDataSubtypeNvs},
    {"coredump", kDataSubtypeCoredump},
    {"nvs_keys", 0x04},
    {"efuse", 0x05},
    {"undefined", kDataSubtypeUndefined},
    {"esphttpd", 0x80},
    {"fat", 0x81},
    {"spiffs", 0x82},
    {"littlefs", 0x83},
    {"tee_ota", kDataSubtypeTeeOta},
}};

inline constexpr std::array<PartitionKeyword, 3> kBootloaderSubtypes{{
    {"primary", kBootloaderSubtypePrimary},
    {"ota", 0x01},
    {"recovery", kBootloaderSubtypeRecovery},
}};

inline constexpr std::array<PartitionKeyword, 2> kPartitionTableSubtypes{{
    {"primary", kPartitionTableSubtypePrimary},
    {"ota", 0x01},
}};

}  // namespace partition_keywords

// The subtype keywords of a type (empty for custom types such as 0x3F).
std::span<const PartitionKeyword> subtype_keywords(std::uint8_t type);
// Exact (already lower-cased) keyword lookup.
std::optional<std::uint8_t> find_keyword(std::span<const PartitionKeyword> keywords, std::string_view name);
// The keyword of a value, or nullopt when the value has none.
std::optional<std::string_view> keyword_name(std::span<const PartitionKeyword> keywords, std::uint8_t value);
// "app", "nvs" or the number in decimal, as the CSV writer prints them.
std::string type_text(std::uint8_t type);
std::string subtype_text(std::uint8_t type, std::uint8_t subtype);

struct PartitionEntry {
  std::string name;  // at most 16 bytes in the binary
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  bool encrypted = false;
  bool readonly = false;
  // Where the entry came from, for messages: its 1-based CSV line, or 0 when it was read from a
  // binary (then messages name "entry N"). Not part of the table's value: operator== ignores it.
  std::uint32_t line = 0;

  std::uint64_t end() const { return std::uint64_t{offset} + size; }
  // The bootloader and the table itself, which live below the first partition.
  bool is_primary_bootloader() const;
  bool is_primary_partition_table() const;

  friend bool operator==(const PartitionEntry& a, const PartitionEntry& b);
};

struct PartitionTable {
  std::vector<PartitionEntry> entries;

  const PartitionEntry* find(std::string_view name) const;
  // End of the partition that reaches furthest into flash (0 for an empty table).
  std::uint64_t flash_end() const;

  friend bool operator==(const PartitionTable& a, const PartitionTable& b) = default;
};

// "line 5" for an entry from CSV, "entry 3" (1-based index) for one read from a binary.
std::string entry_location(const PartitionEntry& entry, std::size_t index);

// "0x9000" (upper-case digits), the address style of partition-table messages.
std::string address_text(std::uint64_t value);

}  // namespace espfab::image
