// Verification: every ESP-IDF rule, each problem naming the line (or binary entry), the partition
// and the rule; all problems collected at once.
#include "image/partition_verify.hpp"

#include <gtest/gtest.h>

#include <string>

#include "image/partition_csv.hpp"

namespace espfab::image {
namespace {

PartitionTable parse(const std::string& text) {
  PartitionCsvOptions options;
  options.environment = [](std::string_view) { return std::optional<std::string>(); };
  return parse_partition_csv(text, options);
}

std::vector<std::string> codes(const std::vector<BadInputError>& problems) {
  std::vector<std::string> out;
  for (const auto& problem : problems) out.push_back(problem.code());
  return out;
}

std::vector<BadInputError> problems_of(const std::string& csv, PartitionVerifyOptions options = {}) {
  return find_partition_problems(parse(csv), options);
}

// The one problem of a table with exactly one.
BadInputError only_problem(const std::string& csv, PartitionVerifyOptions options = {}) {
  auto problems = problems_of(csv, options);
  EXPECT_EQ(problems.size(), 1u) << testing::PrintToString(codes(problems));
  if (problems.empty()) return BadInputError("none", "none");
  return problems.front();
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

const char* const kGood =
    "nvs,      data, nvs,     0x9000,  0x4000\n"
    "otadata,  data, ota,     0xd000,  0x2000\n"
    "phy_init, data, phy,     0xf000,  0x1000\n"
    "factory,  app,  factory, 0x10000, 1M\n";

TEST(PartitionVerify, GoodTableHasNoProblems) {
  EXPECT_TRUE(problems_of(kGood).empty());
  EXPECT_NO_THROW(verify_partition_table(parse(kGood), {}));
}

TEST(PartitionVerify, MisalignedDataOffset) {
  const auto problem = only_problem("nvs, data, nvs, 0x9800, 0x6000");
  EXPECT_EQ(problem.code(), "partition_table.misaligned_offset");
  EXPECT_EQ(problem.message(), "line 1: partition 'nvs' starts at 0x9800, which is not a multiple of 0x1000");
  expect_contains(problem.hint(), "use 0xA000");
}

TEST(PartitionVerify, AppSizeMustBeWholeSectors) {
  const auto problem = only_problem("factory, app, factory, 0x10000, 0x10800");
  EXPECT_EQ(problem.code(), "partition_table.misaligned_app_size");
  expect_contains(problem.message(), "line 1: partition 'factory' has size 0x10800");
  expect_contains(problem.hint(), "0x11000");
}

TEST(PartitionVerify, DuplicateNames) {
  const auto problem = only_problem("nvs, data, nvs, 0x9000, 0x4000\n# c\nnvs, data, phy, 0xd000, 0x1000");
  EXPECT_EQ(problem.code(), "partition_table.duplicate_name");
  EXPECT_EQ(problem.message(), "line 3: partition 'nvs' reuses the name of line 1");
}

TEST(PartitionVerify, NameRules) {
  EXPECT_EQ(only_problem("abcdefghijklmnopq, data, phy, 0x9000, 0x1000").code(), "partition_table.name_too_long");
  EXPECT_TRUE(problems_of("abcdefghijklmnop, data, phy, 0x9000, 0x1000").empty());  // 16 is fine
  EXPECT_EQ(only_problem(", data, phy, 0x9000, 0x1000").code(), "partition_table.bad_name");
  EXPECT_EQ(only_problem("a\x01z, data, phy, 0x9000, 0x1000").code(), "partition_table.bad_name");
}

TEST(PartitionVerify, BelowTableFromBinary) {
  // Only a binary (or --no-verify CSV) can hold this: the CSV reader refuses it earlier.
  PartitionTable table;
  table.entries.push_back({.name = "nvs", .type = 1, .subtype = 2, .offset = 0x7000, .size = 0x3000});
  const auto problems = find_partition_problems(table, {});
  ASSERT_EQ(codes(problems), std::vector<std::string>{"partition_table.below_table"});
  EXPECT_EQ(problems[0].message(),
            "entry 1: partition 'nvs' starts at 0x7000, below 0x9000 (the partition table occupies 0x8000..0x9000)");
}

TEST(PartitionVerify, OverlapInOffsetOrder) {
  PartitionTable table;
  table.entries.push_back({.name = "big", .type = 1, .subtype = 0x82, .offset = 0x9000, .size = 0x10000});
  table.entries.push_back({.name = "small", .type = 1, .subtype = 0x81, .offset = 0xA000, .size = 0x1000});
  table.entries.push_back({.name = "after", .type = 1, .subtype = 0x81, .offset = 0xC000, .size = 0x1000});
  const auto problems = find_partition_problems(table, {});
  ASSERT_EQ(problems.size(), 2u);  // both lie inside 'big'
  EXPECT_EQ(problems[0].code(), "partition_table.overlap");
  EXPECT_EQ(problems[0].message(),
            "entry 2: partition 'small' (0xA000..0xB000) overlaps 'big' (0x9000..0x19000, entry 1)");
  expect_contains(problems[0].hint(), "move it to 0x19000 or later");
  expect_contains(problems[1].message(), "'after'");
}

TEST(PartitionVerify, BootloaderAndTableMayLieBelowTheTable) {
  const auto table = parse(
      "bootloader, bootloader, primary, , \n"
      "partition_table, partition_table, primary, , \n"
      "nvs, data, nvs, , 24K\n");
  EXPECT_TRUE(find_partition_problems(table, {}).empty());
}

TEST(PartitionVerify, OtadataRules) {
  const auto problem = only_problem("otadata, data, ota, 0x9000, 0x1000");
  EXPECT_EQ(problem.code(), "partition_table.otadata_size");
  EXPECT_EQ(problem.message(),
            "line 1: partition 'otadata' is an otadata partition of size 0x1000; it must be exactly 0x2000");
  const auto second = only_problem("ota1, data, ota, 0x9000, 8K\nota2, data, 0, 0xB000, 8K");
  EXPECT_EQ(second.code(), "partition_table.multiple_otadata");
  expect_contains(second.message(), "line 2: partition 'ota2' is a second otadata partition");
  expect_contains(second.message(), "'ota1' (line 1)");
}

TEST(PartitionVerify, TeeOtaRules) {
  EXPECT_EQ(only_problem("t, data, tee_ota, 0x9000, 0x3000").code(), "partition_table.tee_ota_size");
  EXPECT_EQ(only_problem("t1, data, tee_ota, 0x9000, 8K\nt2, data, tee_ota, 0xB000, 8K").code(),
            "partition_table.multiple_tee_ota");
}

TEST(PartitionVerify, ReadonlyRestrictions) {
  EXPECT_EQ(only_problem("otadata, data, ota, 0x9000, 8K, readonly").code(), "partition_table.readonly_not_allowed");
  const auto core = only_problem("core, data, coredump, 0x9000, 64K, readonly");
  EXPECT_EQ(core.code(), "partition_table.readonly_not_allowed");
  expect_contains(core.message(), "(data/coredump)");
  EXPECT_TRUE(problems_of("cfg, data, spiffs, 0x9000, 64K, readonly").empty());
}

TEST(PartitionVerify, SmallNvsMustBeReadonly) {
  const auto problem = only_problem("cfg, data, nvs, 0x9000, 0x2000");
  EXPECT_EQ(problem.code(), "partition_table.small_nvs_not_readonly");
  expect_contains(problem.hint(), "readonly");
  EXPECT_TRUE(problems_of("cfg, data, nvs, 0x9000, 0x2000, readonly").empty());
  EXPECT_TRUE(problems_of("cfg, data, nvs, 0x9000, 0x3000").empty());
}

TEST(PartitionVerify, FlashSizeFit) {
  EXPECT_TRUE(problems_of(kGood, {.flash_size = 0x110000}).empty());  // ends exactly at the flash end
  const auto problem = only_problem(kGood, {.flash_size = 0x100000});
  EXPECT_EQ(problem.code(), "partition_table.flash_too_small");
  EXPECT_EQ(problem.message(),
            "the partitions end at 0x110000 (1.1 MB, 'factory' on line 4), beyond the 1.0 MB flash (0x100000 bytes)");
  ASSERT_TRUE(flash_size_problem(parse(kGood), 0x100000));
  EXPECT_FALSE(flash_size_problem(parse(kGood), 0x400000));
}

TEST(PartitionVerify, EndBeyond4Gib) {
  PartitionTable table;
  table.entries.push_back({.name = "huge", .type = 1, .subtype = 0x82, .offset = 0xFFFFF000, .size = 0x2000});
  EXPECT_EQ(codes(find_partition_problems(table, {})), std::vector<std::string>{"partition_table.beyond_4gib"});
}

TEST(PartitionVerify, CollectsEveryProblem) {
  const std::string csv =
      "nvs,      data, nvs,     0x9000,  0x2000\n"            // small nvs, not readonly
      "nvs,      data, ota,     0xB000,  0x1000, readonly\n"  // duplicate, readonly ota, otadata size
      "factory,  app,  factory, 0x18000, 0x1800\n";           // misaligned offset and size
  const auto problems = problems_of(csv, {.flash_size = 0x10000});
  EXPECT_EQ(codes(problems),
            (std::vector<std::string>{"partition_table.small_nvs_not_readonly", "partition_table.readonly_not_allowed",
                                      "partition_table.misaligned_offset", "partition_table.misaligned_app_size",
                                      "partition_table.duplicate_name", "partition_table.otadata_size",
                                      "partition_table.flash_too_small"}));
  try {
    verify_partition_table(parse(csv), {.flash_size = 0x10000});
    FAIL();
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "partition_table.invalid");
    expect_contains(error.message(), "7 problems");
    expect_contains(error.message(), "line 3: partition 'factory' starts at 0x18000");
  }
}

TEST(PartitionVerify, OneProblemIsThrownAsItself) {
  try {
    verify_partition_table(parse("cfg, data, nvs, 0x9000, 0x2000"), {});
    FAIL();
  } catch (const BadInputError& error) {
    EXPECT_EQ(error.code(), "partition_table.small_nvs_not_readonly");
  }
}

}  // namespace
}  // namespace espfab::image
