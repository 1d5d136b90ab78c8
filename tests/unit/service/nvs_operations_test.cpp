// service::generate_nvs_partition, generate_nvs_keys and inspect_nvs_partition: the partition
// written reads back with the CSV's values (byte for byte the nvs_partition_gen vector), the files
// are mode 0600, encrypted partitions read back only with their keys, bad input writes nothing, and
// values that look like private keys are redacted unless asked for.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <string>

#include "image/nvs_keys.hpp"
#include "image/nvs_reader.hpp"
#include "service/nvs_operations.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

using test::read_vector;
using test::TempDir;

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 0777;
}

// The vector CSV names its files relative to the vectors folder: a copy with absolute paths.
std::filesystem::path vector_csv(const TempDir& dir) {
  std::string text = test::read_vector_text("nvs/nvs_input.csv");
  for (const char* file : {"small.bin", "blob_9000.bin"}) {
    const std::string from = fmt::format(",{}\n", file);
    text.replace(text.find(from), from.size(),
                 fmt::format(",{}\n", test::vector_path("nvs/" + std::string(file)).string()));
  }
  write_text_file_atomic(dir / "nvs_input.csv", text);
  return dir / "nvs_input.csv";
}

constexpr const char* kSmallCsv =
    "key,type,encoding,value\n"
    "factory,namespace,,\n"
    "serial,data,string,ESP-000123\n"
    "hw_rev,data,u8,3\n"
    "offset,data,i32,-40\n"
    "mac,data,hex2bin,7cdfa1000001\n";

TEST(NvsOperations, GenerateWritesAPartitionThatReadsBackWithTheCsvValues) {
  TempDir dir;
  write_text_file_atomic(dir / "in.csv", kSmallCsv);
  const auto result = generate_nvs_partition({.csv = dir / "in.csv", .size = 0x3000, .output = dir / "nvs.bin"});
  EXPECT_EQ(result.size, 0x3000u);
  EXPECT_EQ(result.pages_used, 1u);
  EXPECT_FALSE(result.encrypted);
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_EQ(mode_of(dir / "nvs.bin"), 0600u);

  const Bytes written = read_file(dir / "nvs.bin");
  ASSERT_EQ(written.size(), result.size);
  const auto contents = image::read_nvs_partition(written);
  EXPECT_TRUE(contents.valid());
  ASSERT_EQ(contents.values.size(), 4u);
  const auto* serial = contents.find("factory", "serial");
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(std::string(serial->data.view().begin(), serial->data.view().end()), "ESP-000123");
  ASSERT_NE(contents.find("factory", "hw_rev"), nullptr);
  EXPECT_EQ(contents.find("factory", "hw_rev")->integer_bits, 3u);
  ASSERT_NE(contents.find("factory", "offset"), nullptr);
  EXPECT_EQ(contents.find("factory", "offset")->as_signed(), -40);
  ASSERT_NE(contents.find("factory", "mac"), nullptr);
  EXPECT_EQ(to_hex(contents.find("factory", "mac")->data.view()), "7cdfa1000001");
}

TEST(NvsOperations, GenerateGivesTheVectorBytesAndItsWarning) {
  TempDir dir;
  const auto result = generate_nvs_partition({.csv = vector_csv(dir), .size = 0x6000, .output = dir / "nvs.bin"});
  EXPECT_EQ(read_file(dir / "nvs.bin"), read_vector("nvs/nvs_0x6000.bin"));
  EXPECT_EQ(result.pages_used, 3u);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("line 19"), std::string::npos) << result.warnings[0];
}

TEST(NvsOperations, BadCsvOrTooSmallWritesNothing) {
  TempDir dir;
  write_text_file_atomic(dir / "bad.csv", "key,type,encoding,value\nns,namespace,,\na,data,u8,300\n");
  const auto bad = test::expect_error<BadInputError>(
      [&] { generate_nvs_partition({.csv = dir / "bad.csv", .size = 0x3000, .output = dir / "o"}); },
      "nvs.value_out_of_range");
  EXPECT_NE(bad.describe().find("building the NVS partition from " + (dir / "bad.csv").string()), std::string::npos)
      << bad.describe();
  test::expect_error<BadInputError>(
      [&] { generate_nvs_partition({.csv = vector_csv(dir), .size = 0x1000, .output = dir / "o"}); }, "nvs.too_small");
  EXPECT_FALSE(std::filesystem::exists(dir / "o"));
}

TEST(NvsOperations, KeysFromAnHmacKeyAreTheVectorsAndEncryptTheVectorPartition) {
  TempDir dir;
  const auto keys = generate_nvs_keys({.output = dir / "keys.bin", .hmac_key = test::vector_path("nvs/hmac_key.bin")});
  EXPECT_TRUE(keys.derived_from_hmac_key);
  EXPECT_EQ(keys.size, image::kNvsKeysPartitionSize);
  EXPECT_EQ(mode_of(dir / "keys.bin"), 0600u);
  EXPECT_EQ(read_file(dir / "keys.bin"), read_vector("nvs/keys/nvs_keys_hmac.bin"));

  const auto result = generate_nvs_partition(
      {.csv = vector_csv(dir), .size = 0x6000, .keyfile = dir / "keys.bin", .output = dir / "enc.bin"});
  EXPECT_TRUE(result.encrypted);
  EXPECT_EQ(mode_of(dir / "enc.bin"), 0600u);
  EXPECT_EQ(read_file(dir / "enc.bin"), read_vector("nvs/nvs_enc_0x6000.bin"));
}

TEST(NvsOperations, AnEncryptedPartitionReadsBackOnlyWithItsKeys) {
  TempDir dir;
  const auto keys = generate_nvs_keys({.output = dir / "keys.bin"});
  EXPECT_FALSE(keys.derived_from_hmac_key);
  write_text_file_atomic(dir / "in.csv", kSmallCsv);
  generate_nvs_partition({.csv = dir / "in.csv", .size = 0x3000, .keyfile = dir / "keys.bin", .output = dir / "e"});

  const auto with_keys = inspect_nvs_partition({.input = dir / "e", .keyfile = dir / "keys.bin"});
  EXPECT_TRUE(with_keys.decrypted);
  EXPECT_TRUE(with_keys.valid());
  ASSERT_EQ(with_keys.values.size(), 4u);
  EXPECT_EQ(with_keys.values[0].text, "ESP-000123");

  const auto without = inspect_nvs_partition({.input = dir / "e"});
  EXPECT_FALSE(without.decrypted);
  EXPECT_FALSE(without.valid());
  EXPECT_EQ(without.size, 0x3000u);
}

TEST(NvsOperations, InspectShowsNumbersAndHidesWhatLooksSecretUnlessAsked) {
  TempDir dir;
  const std::string pem = "-----BEGIN PRIVATE KEY-----MC4CAQ";
  write_text_file_atomic(dir / "in.csv", fmt::format("key,type,encoding,value\nid,namespace,,\nkey,data,string,{}\n"
                                                     "blob,data,hex2bin,0102\nn,data,i16,-5\nu,data,u64,7\n",
                                                     pem));
  generate_nvs_partition({.csv = dir / "in.csv", .size = 0x3000, .output = dir / "nvs.bin"});

  const auto hidden = inspect_nvs_partition({.input = dir / "nvs.bin"});
  ASSERT_TRUE(hidden.valid());
  ASSERT_EQ(hidden.namespaces.size(), 1u);
  EXPECT_EQ(hidden.namespaces[0].name, "id");
  ASSERT_EQ(hidden.values.size(), 4u);
  const auto& key = hidden.values[0];
  EXPECT_EQ(key.type, "string");
  EXPECT_TRUE(key.redacted);
  EXPECT_EQ(key.text, fmt::format("<redacted {} bytes>", pem.size()));
  EXPECT_EQ(key.size, pem.size());
  EXPECT_EQ(key.sha256, to_hex(crypto::sha256(to_bytes(pem))));
  const auto& blob = hidden.values[1];
  EXPECT_EQ(blob.type, "blob");
  EXPECT_FALSE(blob.hex.has_value());
  EXPECT_FALSE(blob.text.has_value());
  EXPECT_EQ(blob.size, 2u);
  EXPECT_EQ(hidden.values[2].type, "i16");
  EXPECT_EQ(hidden.values[2].signed_value, -5);
  EXPECT_TRUE(hidden.values[2].is_integer());
  EXPECT_EQ(hidden.values[3].unsigned_value, 7u);
  EXPECT_FALSE(hidden.values[3].signed_value.has_value());

  const auto shown = inspect_nvs_partition({.input = dir / "nvs.bin", .show_values = true});
  EXPECT_FALSE(shown.values[0].redacted);
  EXPECT_EQ(shown.values[0].text, pem);
  EXPECT_EQ(shown.values[1].hex, "0102");
}

TEST(NvsOperations, InspectRefusesWhatIsNotAPartition) {
  const auto error = test::expect_error<BadInputError>(
      [] { inspect_nvs_partition({.input = test::vector_path("nvs/small.bin")}); }, "nvs.bad_size");
  EXPECT_NE(error.describe().find("reading NVS partition"), std::string::npos) << error.describe();
}

}  // namespace
}  // namespace espfab::service
