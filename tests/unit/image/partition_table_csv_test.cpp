// The CSV reader: ESP-IDF syntax (keywords or numbers, K/M sizes, automatic offsets, negative
// sizes, flags, $VAR) and errors that name the line, the partition and the rule.
#include "image/partition_csv.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "util/error.hpp"

namespace espfab::image {
namespace {

PartitionCsvOptions with_env(std::map<std::string, std::string> vars = {}) {
  PartitionCsvOptions options;
  options.environment = [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto found = vars.find(std::string(name));
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
  return options;
}

PartitionTable parse(const std::string& text, const PartitionCsvOptions& options = with_env()) {
  return parse_partition_csv(text, options);
}

BadInputError parse_error(const std::string& text, const PartitionCsvOptions& options = with_env()) {
  try {
    parse_partition_csv(text, options);
  } catch (const BadInputError& error) {
    return error;
  }
  ADD_FAILURE() << "accepted: " << text;
  return BadInputError("none", "none");
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(PartitionCsvNumber, PythonIntWithSuffixes) {
  EXPECT_EQ(parse_partition_number("4096"), 4096);
  EXPECT_EQ(parse_partition_number("0x1000"), 0x1000);
  EXPECT_EQ(parse_partition_number("0X1F"), 0x1F);
  EXPECT_EQ(parse_partition_number("0o17"), 15);
  EXPECT_EQ(parse_partition_number("0b101"), 5);
  EXPECT_EQ(parse_partition_number("0"), 0);
  EXPECT_EQ(parse_partition_number("00"), 0);
  EXPECT_EQ(parse_partition_number("1_000"), 1000);
  EXPECT_EQ(parse_partition_number("0x_10"), 16);
  EXPECT_EQ(parse_partition_number("+7"), 7);
  EXPECT_EQ(parse_partition_number("-0x1000"), -0x1000);
  EXPECT_EQ(parse_partition_number("4K"), 4096);
  EXPECT_EQ(parse_partition_number("4k"), 4096);
  EXPECT_EQ(parse_partition_number("1M"), 0x100000);
  EXPECT_EQ(parse_partition_number("1536K"), 0x180000);
  EXPECT_EQ(parse_partition_number("0x10K"), 0x4000);
  EXPECT_EQ(parse_partition_number("-2M"), -0x200000);
}

TEST(PartitionCsvNumber, RefusesWhatPythonRefuses) {
  for (const char* text : {"", "K", "0x", "010", "1__0", "1_", "_1", "0x1G", "12ab", "1.5M", "1KM", "--1", "0b2", "0o8",
                           "nvs", "0x10000000000000000"}) {
    EXPECT_FALSE(parse_partition_number(text)) << text;
  }
}

TEST(PartitionCsv, KeywordsAreCaseInsensitiveAndNumbersWork) {
  const auto table = parse(
      "nvs, DATA, NVS, 0x9000, 0x6000\n"
      "phy, 1, 0x01, 0xf000, 4K\n"
      "app0, App, OTA_0, 0x10000, 1M\n"
      "fs, data, littlefs, 0x110000, 64K\n"
      "cust, 0x40, 0x10, 0x120000, 4K\n");
  ASSERT_EQ(table.entries.size(), 5u);
  EXPECT_EQ(table.entries[0].type, kPartitionTypeData);
  EXPECT_EQ(table.entries[0].subtype, kDataSubtypeNvs);
  EXPECT_EQ(table.entries[1].subtype, 0x01);
  EXPECT_EQ(table.entries[2].type, kPartitionTypeApp);
  EXPECT_EQ(table.entries[2].subtype, 0x10);
  EXPECT_EQ(table.entries[3].subtype, 0x83);
  EXPECT_EQ(table.entries[4].type, 0x40);
  EXPECT_EQ(table.entries[4].subtype, 0x10);
  EXPECT_EQ(table.entries[4].line, 5u);
}

TEST(PartitionCsv, EveryAppAndDataSubtypeKeyword) {
  EXPECT_EQ(parse("a, app, ota_15, 0x10000, 64K").entries[0].subtype, 0x1F);
  EXPECT_EQ(parse("a, app, test, 0x10000, 64K").entries[0].subtype, 0x20);
  EXPECT_EQ(parse("a, app, tee_1, 0x10000, 64K").entries[0].subtype, 0x31);
  EXPECT_EQ(parse("a, data, tee_ota, 0x9000, 8K").entries[0].subtype, 0x90);
  EXPECT_EQ(parse("a, data, esphttpd, 0x9000, 8K").entries[0].subtype, 0x80);
  EXPECT_EQ(parse("a, data, efuse, 0x9000, 8K").entries[0].subtype, 0x05);
}

TEST(PartitionCsv, LineNumbersCountCommentsAndBlankLines) {
  const auto table = parse("# header\n\n   \n  # indented comment\nnvs, data, nvs, , 24K\r\nphy, data, phy, , 4K\r");
  ASSERT_EQ(table.entries.size(), 2u);
  EXPECT_EQ(table.entries[0].line, 5u);
  EXPECT_EQ(table.entries[1].line, 6u);
}

TEST(PartitionCsv, MissingTrailingFieldsAndExtraFields) {
  const auto table = parse("nvs, data, nvs, 0x9000, 0x6000\nx, data, spiffs, 0xf000, 4K, readonly, extra, more");
  EXPECT_FALSE(table.entries[0].encrypted);
  EXPECT_TRUE(table.entries[1].readonly);
}

TEST(PartitionCsv, EmptySubtypeOfNonAppIsUndefined) {
  const auto table = parse("esp_secure_cert, 0x3F, , 0xD000, 0x2000, encrypted");
  EXPECT_EQ(table.entries[0].subtype, kDataSubtypeUndefined);
  EXPECT_TRUE(table.entries[0].encrypted);
  EXPECT_EQ(parse("d, data, , 0xD000, 0x2000").entries[0].subtype, kDataSubtypeUndefined);
}

TEST(PartitionCsv, EmptyAppSubtypeIsRefused) {
  const auto error = parse_error("# c\nfactory, app, , 0x10000, 1M");
  EXPECT_EQ(error.code(), "partition_table.empty_app_subtype");
  EXPECT_EQ(error.message(), "line 2: partition 'factory': an app partition needs a subtype");
  expect_contains(error.hint(), "factory");
}

TEST(PartitionCsv, AutomaticOffsetsAlignPerType) {
  const auto table = parse(
      "nvs, data, nvs, , 0x5000\n"
      "app, app, factory, , 0x1800\n"
      "d1, data, spiffs, , 0x100\n"
      "d2, data, spiffs, , 4K\n");
  EXPECT_EQ(table.entries[0].offset, 0x9000u);
  EXPECT_EQ(table.entries[1].offset, 0x10000u);  // 0xE000 rounded up to 0x10000
  EXPECT_EQ(table.entries[2].offset, 0x12000u);  // 0x11800 rounded up to 0x1000
  EXPECT_EQ(table.entries[3].offset, 0x13000u);  // 0x12100 rounded up
}

TEST(PartitionCsv, AutomaticOffsetsFollowTableOffset) {
  auto options = with_env();
  options.table_offset = 0x10000;
  const auto table = parse("nvs, data, nvs, , 24K\nfactory, app, factory, , 1M", options);
  EXPECT_EQ(table.entries[0].offset, 0x11000u);
  EXPECT_EQ(table.entries[1].offset, 0x20000u);
  EXPECT_EQ(parse_error("nvs, data, nvs, 0x9000, 24K", options).code(), "partition_table.overlaps_table");
}

TEST(PartitionCsv, NegativeSizeReachesUpToAnAddress) {
  const auto table = parse("nvs, data, nvs, 0x9000, 0x6000\nfactory, app, factory, 0x10000, -0x400000");
  EXPECT_EQ(table.entries[1].size, 0x3F0000u);
  const auto error = parse_error("factory, app, factory, 0x10000, -0x8000");
  EXPECT_EQ(error.code(), "partition_table.negative_size");
  expect_contains(error.message(), "line 1: partition 'factory' ends at 0x8000");
}

TEST(PartitionCsv, FlagsColumn) {
  const auto table = parse("a, data, nvs, 0x9000, 4K, encrypted:readonly\nb, data, nvs, 0xA000, 4K, readonly:");
  EXPECT_TRUE(table.entries[0].encrypted);
  EXPECT_TRUE(table.entries[0].readonly);
  EXPECT_FALSE(table.entries[1].encrypted);
  EXPECT_TRUE(table.entries[1].readonly);
}

TEST(PartitionCsv, BadFlagIsRefused) {
  const auto error = parse_error("nvs, data, nvs, 0x9000, 0x6000\nkeys, data, nvs_keys, 0xf000, 4K, encryptd");
  EXPECT_EQ(error.code(), "partition_table.unknown_flag");
  EXPECT_EQ(error.message(), "line 2: partition 'keys': unknown flag 'encryptd'");
  expect_contains(error.hint(), "encrypted");
  expect_contains(error.hint(), "readonly");
}

TEST(PartitionCsv, UnknownTypeKeywordIsRefused) {
  const auto error = parse_error("\nfactory, apps, factory, 0x10000, 1M");
  EXPECT_EQ(error.code(), "partition_table.unknown_type");
  EXPECT_EQ(error.message(), "line 2: partition 'factory': type 'apps' is neither a number nor a known type");
  expect_contains(error.hint(), "app, data, bootloader, partition_table");
}

TEST(PartitionCsv, UnknownSubtypeListsTheTypesSubtypes) {
  const auto error = parse_error("nvs, data, nvram, 0x9000, 0x6000");
  EXPECT_EQ(error.code(), "partition_table.unknown_subtype");
  expect_contains(error.hint(), "nvs_keys");
  // A custom type has no subtype names.
  const auto custom = parse_error("x, 0x40, nvs, 0x9000, 0x6000");
  EXPECT_EQ(custom.code(), "partition_table.unknown_subtype");
  expect_contains(custom.hint(), "no subtype names");
}

TEST(PartitionCsv, EmptyTypeAndSizeAreRefused) {
  EXPECT_EQ(parse_error("nvs, , nvs, 0x9000, 0x6000").code(), "partition_table.empty_type");
  EXPECT_EQ(parse_error("nvs, data, nvs, 0x9000").code(), "partition_table.empty_size");
}

TEST(PartitionCsv, BadNumberIsRefused) {
  const auto error = parse_error("nvs, data, nvs, 0x9000, 24KB");
  EXPECT_EQ(error.code(), "partition_table.bad_number");
  EXPECT_EQ(error.message(), "line 1: partition 'nvs': size '24KB' is not a number");
  expect_contains(error.hint(), "0x1000");
  EXPECT_EQ(parse_error("nvs, data, nvs, 0x90G0, 24K").code(), "partition_table.bad_number");
}

TEST(PartitionCsv, OutOfRangeValuesAreRefused) {
  EXPECT_EQ(parse_error("x, 0xFF, 0, 0x9000, 4K").code(), "partition_table.bad_type");
  EXPECT_EQ(parse_error("x, 0x100, 0, 0x9000, 4K").code(), "partition_table.bad_type");
  EXPECT_EQ(parse_error("x, data, -1, 0x9000, 4K").code(), "partition_table.bad_subtype");
  EXPECT_EQ(parse_error("x, data, nvs, 0x100000000, 4K").code(), "partition_table.bad_offset");
  EXPECT_EQ(parse_error("x, data, nvs, -0x9000, 4K").code(), "partition_table.bad_offset");
  EXPECT_EQ(parse_error("x, data, nvs, 0x9000, 4096M").code(), "partition_table.bad_size");
  EXPECT_EQ(parse_error("x, data, nvs, 0xFFFFF000, 4K\ny, data, nvs, , 4K").code(), "partition_table.beyond_4gib");
}

TEST(PartitionCsv, VariablesAreExpanded) {
  const auto table = parse("$NAME, data, nvs, ${OFF}, $SIZE, $FLAGS\nx$, data, nvs, , 4K",
                           with_env({{"NAME", "cfg"}, {"OFF", "0x9000"}, {"SIZE", "24K"}, {"FLAGS", "readonly"}}));
  EXPECT_EQ(table.entries[0].name, "cfg");
  EXPECT_EQ(table.entries[0].offset, 0x9000u);
  EXPECT_EQ(table.entries[0].size, 0x6000u);
  EXPECT_TRUE(table.entries[0].readonly);
  EXPECT_EQ(table.entries[1].name, "x$");  // a lone '$' is text
}

TEST(PartitionCsv, UnknownVariableIsRefused) {
  const auto error = parse_error("# $NOT_CHECKED in a comment\nnvs, data, nvs, $NVS_OFFSET, 24K");
  EXPECT_EQ(error.code(), "partition_table.unknown_variable");
  EXPECT_EQ(error.message(), "line 2: $NVS_OFFSET is not set in the environment");
  expect_contains(error.hint(), "export NVS_OFFSET");
}

TEST(PartitionCsv, ProcessEnvironmentIsTheDefault) {
  ::setenv("ESPFAB_TEST_PT_SIZE", "8K", 1);
  const auto table = parse_partition_csv("otadata, data, ota, 0xd000, $ESPFAB_TEST_PT_SIZE");
  EXPECT_EQ(table.entries[0].size, 0x2000u);
  ::unsetenv("ESPFAB_TEST_PT_SIZE");
}

TEST(PartitionCsv, BootloaderAndTableEntriesTakeOffsetsFromOptions) {
  const auto table = parse(
      "bootloader, bootloader, primary, , \n"
      "partition_table, partition_table, primary, , \n"
      "nvs, data, nvs, , 24K\n");
  ASSERT_EQ(table.entries.size(), 3u);
  EXPECT_EQ(table.entries[0].offset, 0x0u);
  EXPECT_EQ(table.entries[0].size, 0x8000u);
  EXPECT_EQ(table.entries[1].offset, 0x8000u);
  EXPECT_EQ(table.entries[1].size, 0x1000u);
  EXPECT_EQ(table.entries[2].offset, 0x9000u);  // not moved by the two above
  EXPECT_EQ(parse_error("r, bootloader, recovery, , ").code(), "partition_table.no_recovery_bootloader");
}

TEST(PartitionCsv, Utf8ByteOrderMarkIsSkipped) {
  const auto table = parse("\xEF\xBB\xBFnvs, data, nvs, 0x9000, 24K\n");
  ASSERT_EQ(table.entries.size(), 1u);
  EXPECT_EQ(table.entries[0].name, "nvs");
  EXPECT_EQ(parse("\xEF\xBB\xBF# comment\nnvs, data, nvs, , 24K").entries[0].line, 2u);
}

TEST(PartitionCsv, EmptyInputIsAnEmptyTable) {
  EXPECT_TRUE(parse("").entries.empty());
  EXPECT_TRUE(parse("# only a comment\n\n").entries.empty());
}

TEST(PartitionCsv, BadTableOffsetIsRefused) {
  auto options = with_env();
  options.table_offset = 0x8800;
  EXPECT_EQ(parse_error("nvs, data, nvs, , 24K", options).code(), "partition_table.bad_table_offset");
}

}  // namespace
}  // namespace espfab::image
