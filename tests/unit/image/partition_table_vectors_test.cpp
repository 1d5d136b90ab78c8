// The gen_esp32part.py 1.5 golden vectors (tests/vectors/partition_table, see PROVENANCE.md):
// every valid CSV gives its binary byte for byte, every binary gives its round-trip CSV byte for
// byte, and every invalid input is refused naming the row and the rule.
#include <gtest/gtest.h>

#include <string>

#include "chip/esp32s3.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "image/partition_csv_writer.hpp"
#include "image/partition_verify.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

using test::read_vector;
using test::read_vector_text;

std::string vector_name(const std::string& name) { return "partition_table/" + name; }

PartitionCsvOptions no_environment() {
  auto options = PartitionCsvOptions::for_chip(chip::kEsp32s3);
  options.environment = [](std::string_view) { return std::optional<std::string>(); };
  return options;
}

// CSV -> verified table, as `espfab partition-table` does it.
PartitionTable parse_verified(const std::string& csv_name, std::optional<std::uint64_t> flash_size = std::nullopt) {
  const auto table = parse_partition_csv(read_vector_text(vector_name(csv_name)), no_environment());
  verify_partition_table(table, {.table_offset = 0x8000, .flash_size = flash_size});
  return table;
}

struct CsvToBin {
  std::string csv;
  std::string bin;
  bool md5;
};

class PartitionVectorCsvToBin : public ::testing::TestWithParam<CsvToBin> {};

TEST_P(PartitionVectorCsvToBin, ByteIdentical) {
  const auto& param = GetParam();
  const Bytes expected = read_vector(vector_name(param.bin));
  ASSERT_EQ(expected.size(), 0xC00u);
  const Bytes actual = write_partition_binary(parse_verified(param.csv), param.md5);
  EXPECT_EQ(to_hex(actual), to_hex(expected));
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, PartitionVectorCsvToBin,
    ::testing::Values(CsvToBin{"singleapp.csv", "singleapp.bin", true},
                      CsvToBin{"two_ota_idf.csv", "two_ota_idf.bin", true},
                      CsvToBin{"two_ota.csv", "two_ota.bin", true},
                      CsvToBin{"factory_provisioning.csv", "factory_provisioning.bin", true},
                      CsvToBin{"size_suffix_auto.csv", "size_suffix_auto.bin", true},
                      CsvToBin{"singleapp.csv", "singleapp_nomd5.bin", false},
                      CsvToBin{"factory_provisioning.csv", "factory_provisioning_nomd5.bin", false}),
    [](const auto& test_param) { return test_param.param.bin.substr(0, test_param.param.bin.find('.')); });

struct BinToCsv {
  std::string bin;
  std::string csv;
  bool md5;
};

class PartitionVectorBinToCsv : public ::testing::TestWithParam<BinToCsv> {};

TEST_P(PartitionVectorBinToCsv, ByteIdentical) {
  const auto& param = GetParam();
  const auto table = read_partition_binary(read_vector(vector_name(param.bin)), param.md5);
  EXPECT_TRUE(find_partition_problems(table, {}).empty());
  EXPECT_EQ(write_partition_csv(table), read_vector_text(vector_name(param.csv)));
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, PartitionVectorBinToCsv,
    ::testing::Values(BinToCsv{"singleapp.bin", "singleapp_roundtrip.csv", true},
                      BinToCsv{"singleapp_nomd5.bin", "singleapp_nomd5_roundtrip.csv", false},
                      BinToCsv{"factory_provisioning.bin", "factory_provisioning_roundtrip.csv", true},
                      BinToCsv{"factory_provisioning_nomd5.bin", "factory_provisioning_nomd5_roundtrip.csv", false}),
    [](const auto& test_param) { return test_param.param.csv.substr(0, test_param.param.csv.find('.')); });

// Every valid binary reads back to the table its CSV describes, and writes back to itself.
TEST(PartitionVectors, EveryBinaryReadsBackToItsCsvTable) {
  const std::pair<const char*, const char*> pairs[] = {{"singleapp.bin", "singleapp.csv"},
                                                       {"two_ota_idf.bin", "two_ota_idf.csv"},
                                                       {"two_ota.bin", "two_ota.csv"},
                                                       {"factory_provisioning.bin", "factory_provisioning.csv"},
                                                       {"size_suffix_auto.bin", "size_suffix_auto.csv"}};
  for (const auto& [bin, csv] : pairs) {
    SCOPED_TRACE(bin);
    const Bytes bytes = read_vector(vector_name(bin));
    const auto from_bin = read_partition_binary(bytes);
    EXPECT_EQ(from_bin, parse_verified(csv));
    EXPECT_EQ(write_partition_binary(from_bin), bytes);
    // Round trip through our own CSV too.
    EXPECT_EQ(parse_partition_csv(write_partition_csv(from_bin), no_environment()), from_bin);
  }
}

TEST(PartitionVectors, AutomaticOffsetsOfSizeSuffixVector) {
  const auto table = parse_verified("size_suffix_auto.csv");
  ASSERT_EQ(table.entries.size(), 9u);
  const std::pair<const char*, std::uint32_t> expected[] = {
      {"nvs", 0x9000},     {"otadata", 0xF000},   {"phy_init", 0x11000},  {"factory", 0x20000}, {"ota_0", 0x120000},
      {"ota_1", 0x2A0000}, {"storage", 0x420000}, {"coredump", 0x460000}, {"ro_cfg", 0x470000}};
  for (const auto& [name, offset] : expected) {
    const auto* entry = table.find(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_EQ(entry->offset, offset) << name;
  }
  EXPECT_TRUE(table.find("ro_cfg")->readonly);
}

TEST(PartitionVectors, FactoryProvisioningSecureCertEntry) {
  const auto table = parse_verified("factory_provisioning.csv");
  const auto* cert = table.find("esp_secure_cert");
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(cert->type, 0x3F);
  EXPECT_EQ(cert->subtype, 0x06);  // empty subtype of a non-app type
  EXPECT_TRUE(cert->encrypted);
  const Bytes bin = read_vector(vector_name("factory_provisioning.bin"));
  EXPECT_EQ(to_hex(ByteView(bin).first(4)), "aa503f06");
}

// Runs `action` and returns the BadInputError it throws (fails the test when it does not).
template <typename Action>
BadInputError expect_bad_input(Action&& action) {
  try {
    action();
  } catch (const BadInputError& error) {
    return error;
  }
  ADD_FAILURE() << "no BadInputError";
  return BadInputError("none", "none");
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(PartitionVectors, OverlapIsRefusedNamingLineAndPrevious) {
  const auto error = expect_bad_input([] { parse_verified("invalid_overlap.csv"); });
  EXPECT_EQ(error.code(), "partition_table.overlap");
  EXPECT_EQ(error.message(), "line 2: partition 'phy_init' at 0xE000 overlaps 'nvs' (0x9000..0xF000, line 1)");
  expect_contains(error.hint(), "move it to 0xF000 or later");
}

TEST(PartitionVectors, TableSectorOverlapIsRefused) {
  const auto error = expect_bad_input([] { parse_verified("invalid_overlaps_table.csv"); });
  EXPECT_EQ(error.code(), "partition_table.overlaps_table");
  expect_contains(error.message(), "line 1: partition 'nvs' at 0x8000 overlaps the partition table sector");
  expect_contains(error.hint(), "0x9000");
}

TEST(PartitionVectors, MisalignedAppIsRefused) {
  const auto error = expect_bad_input([] { parse_verified("invalid_misaligned_app.csv"); });
  EXPECT_EQ(error.code(), "partition_table.misaligned_offset");
  expect_contains(error.message(), "line 3: partition 'factory' starts at 0x18000");
  expect_contains(error.message(), "0x10000");
  expect_contains(error.hint(), "0x20000");
}

TEST(PartitionVectors, WrongOtadataSizeIsRefused) {
  const auto error = expect_bad_input([] { parse_verified("invalid_otadata_size.csv"); });
  EXPECT_EQ(error.code(), "partition_table.otadata_size");
  expect_contains(error.message(), "line 2: partition 'otadata'");
  expect_contains(error.message(), "0x1000");
  expect_contains(error.message(), "exactly 0x2000");
}

TEST(PartitionVectors, BadMd5IsRefused) {
  const auto error = expect_bad_input([] { read_partition_binary(read_vector(vector_name("singleapp_badmd5.bin"))); });
  EXPECT_EQ(error.code(), "partition_table.bad_md5");
  expect_contains(error.message(), "entry 4 (MD5)");
  expect_contains(error.message(), "f4ad4f4538564b5d7435b62c75b69524");  // computed
  expect_contains(error.message(), "f4ad4f45c7564b5d7435b62c75b69524");  // stored
}

TEST(PartitionVectors, TooSmallFlashIsRefused) {  // factory_provisioning_flash4mb
  const auto flash = chip::kEsp32s3.flash_size_bytes("4MB");
  ASSERT_TRUE(flash);
  const auto error = expect_bad_input([&] { parse_verified("factory_provisioning.csv", *flash); });
  EXPECT_EQ(error.code(), "partition_table.flash_too_small");
  expect_contains(error.message(), "0x720000 (7.1 MB, 'ota_1' on line 10)");
  expect_contains(error.message(), "4.0 MB flash");
  // The same table fits 8 MB.
  EXPECT_NO_THROW(parse_verified("factory_provisioning.csv", *chip::kEsp32s3.flash_size_bytes("8MB")));
}

}  // namespace
}  // namespace espfab::image
