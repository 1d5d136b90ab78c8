// service::convert_partition_table: CSV -> binary -> CSV gives the gen_esp32part.py vectors byte for
// byte, the direction taken from the input; layout problems come back in the result with nothing
// written; errors in the table are told to on_table_error before they are thrown, others are not.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/partition_table_operations.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

using test::read_vector;
using test::TempDir;

std::filesystem::path vec(const std::string& name) { return test::vector_path("partition_table/" + name); }

TEST(PartitionTableOperations, CsvToBinaryAndBackGivesTheVectors) {
  TempDir dir;
  const auto to_binary = convert_partition_table({.input = vec("factory_provisioning.csv"), .output = dir / "pt.bin"});
  EXPECT_FALSE(to_binary.from_binary);
  EXPECT_TRUE(to_binary.problems.empty());
  EXPECT_EQ(to_binary.output_size, 0xC00u);
  EXPECT_EQ(read_file(dir / "pt.bin"), read_vector("partition_table/factory_provisioning.bin"));
  ASSERT_FALSE(to_binary.table.entries.empty());
  EXPECT_EQ(to_binary.table.entries.front().line, 3u);  // the CSV's line numbers

  const auto to_csv = convert_partition_table({.input = dir / "pt.bin", .output = dir / "pt.csv"});
  EXPECT_TRUE(to_csv.from_binary);
  EXPECT_EQ(read_file(dir / "pt.csv"), read_vector("partition_table/factory_provisioning_roundtrip.csv"));
  EXPECT_EQ(to_csv.output_size, read_file(dir / "pt.csv").size());
  ASSERT_EQ(to_csv.table.entries.size(), to_binary.table.entries.size());
  for (std::size_t i = 0; i < to_csv.table.entries.size(); ++i) {
    EXPECT_EQ(to_csv.table.entries[i].name, to_binary.table.entries[i].name);
    EXPECT_EQ(to_csv.table.entries[i].offset, to_binary.table.entries[i].offset);
    EXPECT_EQ(to_csv.table.entries[i].size, to_binary.table.entries[i].size);
  }
}

TEST(PartitionTableOperations, WithoutMd5AndWithoutAnOutputFile) {
  TempDir dir;
  const auto no_md5 =
      convert_partition_table({.input = vec("factory_provisioning.csv"), .output = dir / "pt.bin", .md5 = false});
  EXPECT_EQ(read_file(dir / "pt.bin"), read_vector("partition_table/factory_provisioning_nomd5.bin"));
  const auto check_only = convert_partition_table({.input = vec("singleapp.csv")});
  EXPECT_EQ(check_only.output_size, 0xC00u);
  EXPECT_EQ(check_only.table.entries.size(), 3u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"pt.bin"});
}

TEST(PartitionTableOperations, ProblemsComeBackAndNothingIsWritten) {
  TempDir dir;
  const auto misaligned = convert_partition_table({.input = vec("invalid_misaligned_app.csv"), .output = dir / "out"});
  ASSERT_EQ(misaligned.problems.size(), 1u);
  EXPECT_EQ(misaligned.problems[0].code(), "partition_table.misaligned_offset");
  EXPECT_EQ(misaligned.output_size, 0u);

  const auto too_small = convert_partition_table(
      {.input = vec("factory_provisioning.csv"), .output = dir / "out", .flash_size = "4MB", .verify = false});
  ASSERT_EQ(too_small.problems.size(), 1u);
  EXPECT_EQ(too_small.problems[0].code(), "partition_table.flash_too_small");
  EXPECT_TRUE(dir.entries().empty());

  // Without the layout checks the misaligned app is converted; the flash size still applies.
  const auto unchecked =
      convert_partition_table({.input = vec("invalid_misaligned_app.csv"), .output = dir / "out", .verify = false});
  EXPECT_TRUE(unchecked.problems.empty());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out"});
}

TEST(PartitionTableOperations, TableErrorsNameTheInputAndOtherErrorsTheirOwnCause) {
  TempDir dir;
  write_text_file_atomic(dir / "bad.csv", "garbage\n");
  PartitionTableRequest request{.input = dir / "bad.csv", .output = dir / "out"};
  const auto error =
      test::expect_error<BadInputError>([&] { convert_partition_table(request); }, "partition_table.empty_type");
  EXPECT_NE(error.describe().find("reading CSV " + (dir / "bad.csv").string()), std::string::npos);

  // A bad flash size name and a missing file are not errors in the table.
  request.input = vec("singleapp.csv");
  request.flash_size = "5MB";
  test::expect_error<BadInputError>([&] { convert_partition_table(request); }, "cli.bad_flash_size");
  request.flash_size.clear();
  request.input = dir / "missing.csv";
  EXPECT_THROW(convert_partition_table(request), IoError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"bad.csv"});
}

}  // namespace
}  // namespace espfab::service
