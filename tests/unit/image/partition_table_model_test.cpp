// The partition-table model: keyword tables as data, entry equality, locations in messages.
#include "image/partition_table.hpp"

#include <gtest/gtest.h>

#include <set>

namespace espfab::image {
namespace {

TEST(PartitionTableModel, KeywordTablesMatchTheSpec) {
  EXPECT_EQ(find_keyword(partition_keywords::kTypes, "partition_table"), 0x03);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypeApp), "ota_0"), 0x10);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypeApp), "ota_15"), 0x1F);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypeApp), "tee_0"), 0x30);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypeData), "ota"), 0x00);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypeData), "littlefs"), 0x83);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypeBootloader), "recovery"), 0x02);
  EXPECT_EQ(find_keyword(subtype_keywords(kPartitionTypePartitionTable), "ota"), 0x01);
  EXPECT_TRUE(subtype_keywords(0x3F).empty());
  EXPECT_FALSE(find_keyword(partition_keywords::kTypes, "APP"));  // callers lower-case first
}

TEST(PartitionTableModel, KeywordValuesAreUniquePerTable) {
  for (std::uint8_t type = 0; type < 4; ++type) {
    std::set<std::uint8_t> values;
    std::set<std::string_view> names;
    for (const auto& keyword : subtype_keywords(type)) {
      EXPECT_TRUE(values.insert(keyword.value).second) << keyword.name;
      EXPECT_TRUE(names.insert(keyword.name).second) << keyword.name;
    }
  }
}

TEST(PartitionTableModel, TextOfTypesAndSubtypes) {
  EXPECT_EQ(type_text(0), "app");
  EXPECT_EQ(type_text(0x3F), "63");
  EXPECT_EQ(subtype_text(1, 0x04), "nvs_keys");
  EXPECT_EQ(subtype_text(0, 0x00), "factory");
  EXPECT_EQ(subtype_text(0x3F, 0x06), "6");
}

TEST(PartitionTableModel, EqualityIgnoresSourceLine) {
  PartitionEntry a{.name = "nvs", .type = 1, .subtype = 2, .offset = 0x9000, .size = 0x6000, .line = 3};
  PartitionEntry b = a;
  b.line = 0;
  EXPECT_EQ(a, b);
  b.readonly = true;
  EXPECT_NE(a, b);
}

TEST(PartitionTableModel, LocationsAndLookups) {
  PartitionTable table;
  table.entries.push_back({.name = "nvs", .offset = 0x9000, .size = 0x6000, .line = 4});
  table.entries.push_back({.name = "fw", .offset = 0x10000, .size = 0x100000});
  EXPECT_EQ(entry_location(table.entries[0], 0), "line 4");
  EXPECT_EQ(entry_location(table.entries[1], 1), "entry 2");
  EXPECT_EQ(table.find("fw"), &table.entries[1]);
  EXPECT_EQ(table.find("none"), nullptr);
  EXPECT_EQ(table.flash_end(), 0x110000u);
  EXPECT_EQ(address_text(0xf000), "0xF000");
}

}  // namespace
}  // namespace espfab::image
