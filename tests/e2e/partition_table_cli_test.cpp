// `espfab partition-table` as a user runs it: conversions give the gen_esp32part.py vectors byte
// for byte; bad input exits 2, names the line and the rule, and leaves no output file behind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

std::string vec(const std::string& name) { return vector_path("partition_table/" + name).string(); }

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(PartitionTableCli, CsvToBinaryMatchesVectors) {
  TempDir dir;
  const std::pair<const char*, const char*> cases[] = {{"singleapp.csv", "singleapp.bin"},
                                                       {"two_ota_idf.csv", "two_ota_idf.bin"},
                                                       {"two_ota.csv", "two_ota.bin"},
                                                       {"factory_provisioning.csv", "factory_provisioning.bin"},
                                                       {"size_suffix_auto.csv", "size_suffix_auto.bin"}};
  for (const auto& [csv, bin] : cases) {
    SCOPED_TRACE(csv);
    const auto out = dir / bin;
    const auto result = run_espfab({"partition-table", vec(csv), "-o", out.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(out), read_vector("partition_table/" + std::string(bin)));
  }
}

TEST(PartitionTableCli, DisableMd5AndFlashSize) {
  TempDir dir;
  const auto out = dir / "t.bin";
  const auto result = run_espfab(
      {"partition-table", vec("factory_provisioning.csv"), "-o", out.string(), "--disable-md5", "--flash-size", "8MB"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(out), read_vector("partition_table/factory_provisioning_nomd5.bin"));
}

TEST(PartitionTableCli, BinaryToCsvMatchesVectors) {
  TempDir dir;
  const auto out = dir / "t.csv";
  auto result = run_espfab({"partition-table", vec("factory_provisioning.bin"), "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_text_file(out), read_vector_text("partition_table/factory_provisioning_roundtrip.csv"));
  result = run_espfab({"partition-table", vec("singleapp_nomd5.bin"), "-o", out.string(), "--disable-md5"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_text_file(out), read_vector_text("partition_table/singleapp_nomd5_roundtrip.csv"));
}

TEST(PartitionTableCli, InvalidCsvExits2NamingTheLineAndWritesNothing) {
  const std::pair<const char*, const char*> cases[] = {
      {"invalid_overlap.csv", "line 2: partition 'phy_init' at 0xE000 overlaps 'nvs'"},
      {"invalid_overlaps_table.csv", "line 1: partition 'nvs' at 0x8000 overlaps the partition table sector"},
      {"invalid_misaligned_app.csv", "line 3: partition 'factory' starts at 0x18000"},
      {"invalid_otadata_size.csv", "line 2: partition 'otadata' is an otadata partition of size 0x1000"}};
  for (const auto& [csv, message] : cases) {
    SCOPED_TRACE(csv);
    TempDir dir;
    const auto result = run_espfab({"partition-table", vec(csv), "-o", (dir / "out.bin").string()});
    EXPECT_EQ(result.exit_code, 2);
    expect_contains(result.err, message);
    expect_contains(result.err, "hint:");
    EXPECT_TRUE(dir.entries().empty()) << "left behind: " << dir.entries().front();
  }
}

TEST(PartitionTableCli, BadMd5AndTooSmallFlashExit2) {
  TempDir dir;
  auto result = run_espfab({"partition-table", vec("singleapp_badmd5.bin"), "-o", (dir / "out.csv").string()});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "error[partition_table.bad_md5]");
  result = run_espfab(
      {"partition-table", vec("factory_provisioning.csv"), "-o", (dir / "out.bin").string(), "--flash-size", "4MB"});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "error[partition_table.flash_too_small]");
  expect_contains(result.err, "'ota_1' on line 10");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(PartitionTableCli, EveryProblemIsPrintedAndOldOutputSurvives) {
  TempDir dir;
  const auto csv = dir / "bad.csv";
  write_text_file_atomic(csv,
                         "nvs,     data, nvs,     0x9000,  0x2000\n"
                         "nvs,     data, phy,     0xB000,  0x1000\n"
                         "factory, app,  factory, 0x18000, 1M\n");
  const auto out = dir / "out.bin";
  write_text_file_atomic(out, "previous");
  const auto result = run_espfab({"partition-table", csv.string(), "-o", out.string()});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "error[partition_table.small_nvs_not_readonly]: line 1");
  expect_contains(result.err, "error[partition_table.duplicate_name]: line 2");
  expect_contains(result.err, "error[partition_table.misaligned_offset]: line 3");
  expect_contains(result.err, "3 problems");
  EXPECT_EQ(read_text_file(out), "previous");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"bad.csv", "out.bin"}));
  // --no-verify writes it anyway.
  EXPECT_EQ(run_espfab({"partition-table", csv.string(), "-o", out.string(), "--no-verify"}).exit_code, 0);
  EXPECT_EQ(read_file(out).size(), 0xC00u);
}

TEST(PartitionTableCli, JsonPrintsTheTable) {
  const auto result = run_espfab({"partition-table", vec("factory_provisioning.csv"), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["input_format"], "csv");
  EXPECT_TRUE(json["output"].is_null());
  ASSERT_EQ(json["partitions"].size(), 8u);
  EXPECT_EQ(json["partitions"][0]["name"], "esp_secure_cert");
  EXPECT_EQ(json["partitions"][0]["type"], 0x3F);
  EXPECT_EQ(json["partitions"][0]["subtype"], 6);
  EXPECT_EQ(json["partitions"][0]["subtype_name"], "6");  // type 0x3F has no subtype names
  EXPECT_EQ(json["partitions"][0]["encrypted"], true);
  EXPECT_EQ(json["partitions"][5]["offset"], 0x20000);
  EXPECT_EQ(json["partitions"][5]["line"], 8);
}

TEST(PartitionTableCli, JsonReportsProblems) {
  const auto result = run_espfab({"partition-table", vec("invalid_otadata_size.csv"), "--json"});
  EXPECT_EQ(result.exit_code, 2);
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["error"]["code"], "partition_table.otadata_size");
  EXPECT_EQ(json["problems"].size(), 1u);
}

TEST(PartitionTableCli, UsageAndHelp) {
  EXPECT_EQ(run_espfab({"partition-table", vec("singleapp.csv")}).exit_code, 64);  // no -o, no --json
  const auto help = run_espfab({"partition-table", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  expect_contains(help.out, "espfab partition-table partitions.csv -o partition-table.bin");
  expect_contains(help.out, "--disable-md5");
  TempDir dir;
  const auto bad_size =
      run_espfab({"partition-table", vec("singleapp.csv"), "-o", (dir / "x.bin").string(), "--flash-size", "3MB"});
  EXPECT_EQ(bad_size.exit_code, 2);
  expect_contains(bad_size.err, "4MB");
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace espfab::test
