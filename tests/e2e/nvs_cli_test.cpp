// `espfab nvs` as a user runs it: generate/encrypt/keygen give the nvs_partition_gen vectors byte
// for byte; bad input exits 2 naming the problem and writes nothing; keys and secret values appear
// only where the user asked for them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <string>

#include "support/run_command.hpp"
#include "support/secret_scan.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

std::string vec(const std::string& name) { return vector_path("nvs/" + name).string(); }

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

// The vector CSVs name their files relative to the vectors folder (the tool's working directory);
// the CLI resolves them against its own, so the test writes a copy with absolute paths.
std::string csv_with_absolute_paths(const TempDir& dir, const std::string& name) {
  std::string text = read_vector_text("nvs/" + name);
  for (const char* file : {"small.bin", "blob_9000.bin", "blob_1984.bin"}) {
    const std::string from = fmt::format(",{}", file);
    const std::string to = fmt::format(",{}", vec(file));
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  const auto path = dir / name;
  write_text_file_atomic(path, text);
  return path.string();
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 0777;
}

TEST(NvsCli, GenerateMatchesTheVectors) {
  TempDir dir;
  const std::string csv = csv_with_absolute_paths(dir, "nvs_input.csv");
  const std::string csv_v1 = csv_with_absolute_paths(dir, "nvs_input_v1.csv");
  struct Case {
    std::vector<std::string> args;
    const char* expected;
  };
  const Case cases[] = {
      {{"nvs", "generate", csv, "0x6000"}, "nvs_0x6000.bin"},
      {{"nvs", "generate", csv, "64K"}, "nvs_0x10000.bin"},
      {{"nvs", "generate", csv_v1, "0x10000", "--version", "1"}, "nvs_v1_0x10000.bin"},
      {{"nvs", "encrypt", csv, "0x6000", "--keyfile", vec("keys/nvs_keys_hmac.bin")}, "nvs_enc_0x6000.bin"},
      {{"nvs", "encrypt", csv, "0x10000", "--keyfile", vec("keys/nvs_keys_hmac.bin")}, "nvs_enc_0x10000.bin"},
      {{"nvs", "encrypt", csv, "0x6000", "--keyfile", vec("nvs_keys_fixed.bin")}, "nvs_enc_rawkey_0x6000.bin"},
      {{"nvs", "keygen", "--hmac-key", vec("hmac_key.bin")}, "keys/nvs_keys_hmac.bin"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    auto args = c.args;
    const auto out = dir / "out.bin";
    args.insert(args.end(), {"-o", out.string()});
    const auto result = run_espfab(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(out), read_vector(std::string("nvs/") + c.expected));
    EXPECT_EQ(mode_of(out), 0600u);
    std::filesystem::remove(out);
  }
}

TEST(NvsCli, ReopenedNamespaceIsAWarning) {
  TempDir dir;
  const auto result = run_espfab(
      {"nvs", "generate", csv_with_absolute_paths(dir, "nvs_input.csv"), "0x6000", "-o", (dir / "o").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  expect_contains(result.err, "warning:");
  expect_contains(result.err, "line 19");
}

TEST(NvsCli, RandomKeysEncryptAndDecrypt) {
  TempDir dir;
  const auto keys = dir / "keys.bin";
  auto result = run_espfab({"nvs", "keygen", "-o", keys.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(mode_of(keys), 0600u);
  EXPECT_EQ(read_file(keys).size(), 4096u);
  const auto enc = dir / "enc.bin";
  result = run_espfab({"nvs", "encrypt", csv_with_absolute_paths(dir, "nvs_input.csv"), "0x6000", "-o", enc.string(),
                       "--keyfile", keys.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(read_file(enc), read_vector("nvs/nvs_enc_0x6000.bin"));

  result = run_espfab({"nvs", "info", enc.string(), "--keyfile", keys.string(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_TRUE(json["valid"].get<bool>());
  EXPECT_EQ(json["values"].size(), 16u);
  EXPECT_EQ(json["values"][0]["value"], "ESPFAB-0001-ABCDEF");
  EXPECT_EQ(json["values"][12]["size"], 9000);

  result = run_espfab({"nvs", "info", enc.string()});  // without keys: every CRC fails
  EXPECT_EQ(result.exit_code, 1);
  expect_contains(result.out, "probably encrypted");
}

TEST(NvsCli, InfoListsThePlainVector) {
  const auto result = run_espfab({"nvs", "info", vec("nvs_v1_0x10000.bin")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  expect_contains(result.out, "factory:serial");
  expect_contains(result.out, "\"ESPFAB-0001-ABCDEF\"");
  expect_contains(result.out, "wifi:big_v1");
  expect_contains(result.out, "1984 bytes");
}

TEST(NvsCli, BadInputExits2AndWritesNothing) {
  TempDir dir;
  const auto out = dir / "out.bin";
  struct Case {
    const char* csv;
    const char* size;
    const char* expect;
  };
  const Case cases[] = {
      {"key,type,encoding,value\nns,namespace,,\na,data,u8,300\n", "0x3000", "line 3"},
      {"key,type,encoding,value\nns,namespace,,\na,data,hex2bin,abc\n", "0x3000", "nvs.bad_hex"},
      {"key,type,encoding,value\na,data,u8,1\n", "0x3000", "nvs.no_namespace"},
      {"key,type,encoding,value\nns,namespace,,\nb,file,binary,/no/such/file.bin\n", "0x3000", "/no/such/file.bin"},
      {"key,type,encoding,value\nns,namespace,,\n", "0x2800", "nvs.bad_size"},
      {"key,type,encoding,value\nns,namespace,,\n", "twelve", "cli.bad_number"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expect);
    write_text_file_atomic(dir / "in.csv", c.csv);
    const auto result = run_espfab({"nvs", "generate", (dir / "in.csv").string(), c.size, "-o", out.string()});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.exit_code, c.expect == std::string("/no/such/file.bin") ? 7 : 2) << result.err;
    expect_contains(result.err, c.expect);
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  // The vectors' too-small case.
  const auto result =
      run_espfab({"nvs", "generate", csv_with_absolute_paths(dir, "nvs_input.csv"), "0x3000", "-o", out.string()});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "nvs.too_small");
  EXPECT_FALSE(std::filesystem::exists(out));

  const auto bad_keys = run_espfab(
      {"nvs", "encrypt", (dir / "in.csv").string(), "0x3000", "-o", out.string(), "--keyfile", vec("small.bin")});
  EXPECT_EQ(bad_keys.exit_code, 2);
  expect_contains(bad_keys.err, "nvs.keys_bad_crc");
  EXPECT_FALSE(std::filesystem::exists(out));

  const auto not_nvs = run_espfab({"nvs", "info", vec("small.bin")});
  EXPECT_EQ(not_nvs.exit_code, 2);
  expect_contains(not_nvs.err, "nvs.bad_size");
}

// A device key stored in NVS, encrypted: neither the key nor the NVS keys appear in the encrypted
// partition, the log (trace level), or the output; info hides them unless asked.
TEST(NvsCli, SecretsOnlyWhereTheUserAskedForThem) {
  TempDir dir;
  const auto key = crypto::generate_ec_p256();
  unsigned char* der = nullptr;
  const int der_size = i2d_PrivateKey(key.get(), &der);
  ASSERT_GT(der_size, 0);
  const Bytes key_der(der, der + der_size);
  OPENSSL_free(der);
  const SecretBytes key_pem = crypto::private_key_pem(key.get());
  const std::string pem_text(key_pem.view().begin(), key_pem.view().end());
  write_file_atomic(dir / "device_key.der", key_der, 0600);
  write_text_file_atomic(dir / "device_key.pem", pem_text, 0600);
  write_text_file_atomic(dir / "id.csv",
                         fmt::format("key,type,encoding,value\nidentity,namespace,,\npriv_der,file,binary,{}\n"
                                     "priv_pem,file,string,{}\n",
                                     (dir / "device_key.der").string(), (dir / "device_key.pem").string()));
  const auto log = dir / "espfab.log";
  const std::vector<std::string> logging{"--log-level", "trace", "--log-file", log.string()};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), logging.begin(), logging.end());
    return run_espfab(args);
  };
  ASSERT_EQ(run({"nvs", "keygen", "-o", (dir / "keys.bin").string()}).exit_code, 0);
  auto result = run({"nvs", "encrypt", (dir / "id.csv").string(), "0x3000", "-o", (dir / "enc.bin").string(),
                     "--keyfile", (dir / "keys.bin").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto info = run({"nvs", "info", (dir / "enc.bin").string(), "--keyfile", (dir / "keys.bin").string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  expect_contains(info.out, "identity:priv_pem");
  expect_contains(info.out, "<redacted");

  std::vector<Bytes> needles = pem_body_lines(pem_text);
  needles.push_back(key_der);
  const Bytes nvs_keys = read_file(dir / "keys.bin");
  needles.emplace_back(nvs_keys.begin(), nvs_keys.begin() + 32);
  needles.emplace_back(nvs_keys.begin() + 32, nvs_keys.begin() + 64);
  EXPECT_EQ(files_containing(dir.path(), needles, {"device_key.der", "device_key.pem", "keys.bin"}),
            std::vector<std::string>{});
  for (const auto& needle : needles) {
    EXPECT_FALSE(contains_bytes(result.out + result.err + info.out + info.err, needle));
  }
  // Asked for explicitly, the values are shown.
  const auto shown =
      run({"nvs", "info", (dir / "enc.bin").string(), "--keyfile", (dir / "keys.bin").string(), "--show-values"});
  expect_contains(shown.out, to_hex(key_der));
}

}  // namespace
}  // namespace espfab::test
