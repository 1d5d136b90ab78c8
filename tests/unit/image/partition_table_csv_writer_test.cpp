// Binary -> CSV text in gen_esp32part.py's format, and the names it refuses to write.
#include "image/partition_csv_writer.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::image {
namespace {

TEST(PartitionCsvWriter, FormatsKeywordsNumbersSizesAndFlags) {
  PartitionTable table;
  table.entries.push_back(
      {.name = "cert", .type = 0x3F, .subtype = 6, .offset = 0xD000, .size = 0x2000, .encrypted = true});
  table.entries.push_back(
      {.name = "both", .type = 1, .subtype = 0x82, .offset = 0x0, .size = 0x1234, .encrypted = true, .readonly = true});
  table.entries.push_back(
      {.name = "ro", .type = 1, .subtype = 0x99, .offset = 0xABC000, .size = 0x300000, .readonly = true});
  table.entries.push_back({.name = "app", .type = 0, .subtype = 0x1F, .offset = 0x10000, .size = 0});
  EXPECT_EQ(write_partition_csv(table),
            "# ESP-IDF Partition Table\n"
            "# Name, Type, SubType, Offset, Size, Flags\n"
            "cert,63,6,0xd000,8K,encrypted\n"
            "both,data,spiffs,0x0,0x1234,encrypted:readonly\n"
            "ro,data,153,0xabc000,3M,readonly\n"
            "app,app,ota_15,0x10000,0M,\n");
}

TEST(PartitionCsvWriter, EmptyTableIsJustTheHeader) {
  EXPECT_EQ(write_partition_csv({}), "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n");
}

TEST(PartitionCsvWriter, RefusesNamesThatWouldNotReadBack) {
  for (const char* name : {"a,b", "#x", " x", "x ", "a\nb", "$HOME"}) {
    PartitionTable table;
    table.entries.push_back({.name = name, .type = 1, .subtype = 2, .offset = 0x9000, .size = 0x6000});
    try {
      write_partition_csv(table);
      ADD_FAILURE() << name;
    } catch (const BadInputError& error) {
      EXPECT_EQ(error.code(), "partition_table.name_not_csv");
      EXPECT_NE(error.message().find("entry 1"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace espfab::image
