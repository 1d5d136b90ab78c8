// `espfab secure-cert` as a user runs it: the configure_esp_secure_cert.py vectors byte for byte;
// bad input exits 2 naming the problem and writes nothing; the private key appears only in the
// partition file the user asked for.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
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

std::string vec(const std::string& name) { return vector_path("secure_cert/" + name).string(); }

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

CommandResult generate(const std::string& device, const std::string& key, const std::filesystem::path& out,
                       std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"secure-cert", "generate",  "--device-cert",    vec(device), "--private-key",
                                vec(key),      "--ca-cert", vec("ca_cert.pem"), "-o",        out.string()};
  args.insert(args.begin(), extra.begin(), extra.end());
  return run_espfab(args);
}

TEST(SecureCertCli, GenerateMatchesTheVectors) {
  TempDir dir;
  for (const std::string kind : {"ecdsa", "rsa"}) {
    SCOPED_TRACE(kind);
    const auto out = dir / ("sc_" + kind + ".bin");
    const auto result = generate("device_" + kind + "_cert.pem", "device_" + kind + "_key.pem", out);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(read_file(out), read_vector("secure_cert/esp_secure_cert_" + kind + ".bin"));
    struct stat info {};
    ASSERT_EQ(::stat(out.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << "the partition holds the private key";
  }
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"sc_ecdsa.bin", "sc_rsa.bin"}));
}

TEST(SecureCertCli, InfoListsRecordsAndChecksThem) {
  auto result = run_espfab({"secure-cert", "info", vec("esp_secure_cert_rsa.bin")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  expect_contains(result.out, "4 records");
  expect_contains(result.out, "CN=esp32s3-pub-rsa,O=espfab test");
  expect_contains(result.out, "RSA 2048");
  expect_contains(result.out, "SHA-256 ok");

  result = run_espfab({"secure-cert", "info", vec("esp_secure_cert_ecdsa.bin"), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_TRUE(json["valid"].get<bool>());
  ASSERT_EQ(json["records"].size(), 4u);
  EXPECT_EQ(json["records"][2]["type_name"], "priv_key");
  EXPECT_EQ(json["records"][2]["length"], 228);
  EXPECT_EQ(json["records"][3]["integrity_valid"], true);
}

TEST(SecureCertCli, InfoOnACorruptPartitionExits1) {
  TempDir dir;
  Bytes file = read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  file[700] ^= 0x20;
  write_file_atomic(dir / "bad.bin", file);
  const auto result = run_espfab({"secure-cert", "info", (dir / "bad.bin").string()});
  EXPECT_EQ(result.exit_code, 1);
  expect_contains(result.out, "BAD");
  expect_contains(result.out, "SHA-256 MISMATCH");
}

TEST(SecureCertCli, InfoOnSomethingElseExits2) {
  const auto result = run_espfab({"secure-cert", "info", vec("ca_cert.pem")});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "secure_cert.bad_magic");
}

TEST(SecureCertCli, BadInputExits2AndWritesNothing) {
  struct Case {
    const char* device;
    const char* key;
    const char* code;
  };
  const Case cases[] = {
      {"device_rsa_cert.pem", "device_ecdsa_key.pem", "secure_cert.key_mismatch"},
      {"device_ecdsa_key.pem", "device_ecdsa_key.pem", "secure_cert.bad_certificate"},
      {"device_ecdsa_cert.pem", "device_ecdsa_cert.pem", "secure_cert.bad_private_key"},
  };
  TempDir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    const auto result = generate(c.device, c.key, dir / "out.bin");
    EXPECT_EQ(result.exit_code, 2) << result.err;
    expect_contains(result.err, c.code);
    EXPECT_TRUE(dir.entries().empty());
  }
}

TEST(SecureCertCli, DeviceCertFromAnotherCaIsRefused) {
  TempDir dir;
  // A second, unrelated CA: the device certificate does not verify with its key.
  auto other_key = crypto::generate_ec_p256();
  X509* other = X509_new();
  ASSERT_NE(other, nullptr);
  X509_set_version(other, 2);
  X509_NAME* name = X509_get_subject_name(other);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Other CA"), -1, -1, 0);
  X509_set_issuer_name(other, name);
  X509_gmtime_adj(X509_getm_notBefore(other), 0);
  X509_gmtime_adj(X509_getm_notAfter(other), 3600);
  X509_set_pubkey(other, other_key.get());
  ASSERT_GT(X509_sign(other, other_key.get(), EVP_sha256()), 0);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, other);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  write_text_file_atomic(dir / "other_ca.pem", std::string(data, static_cast<std::size_t>(size)));
  BIO_free(bio);
  X509_free(other);

  const auto result = run_espfab({"secure-cert", "generate", "--device-cert", vec("device_ecdsa_cert.pem"),
                                  "--private-key", vec("device_ecdsa_key.pem"), "--ca-cert",
                                  (dir / "other_ca.pem").string(), "-o", (dir / "out.bin").string()});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "secure_cert.not_issued_by_ca");
  EXPECT_FALSE(std::filesystem::exists(dir / "out.bin"));
}

// The device key may be in the partition file the user asked for, nowhere else: not in the log
// (at trace level), not on stdout/stderr, not in a leftover temporary file.
TEST(SecureCertCli, PrivateKeyOnlyInTheRequestedFile) {
  TempDir dir;
  const std::string pem = read_vector_text("secure_cert/device_rsa_key.pem");
  const auto key = crypto::load_private_key_pem(SecretBytes(to_bytes(pem)));
  std::vector<Bytes> needles = pem_body_lines(pem);
  const SecretBytes traditional = crypto::private_key_pem_traditional(key.get());
  for (auto& line : pem_body_lines(std::string(traditional.view().begin(), traditional.view().end())))
    needles.push_back(std::move(line));
  unsigned char* der = nullptr;
  const int der_size = i2d_PrivateKey(key.get(), &der);
  ASSERT_GT(der_size, 0);
  needles.emplace_back(der, der + der_size);
  OPENSSL_free(der);
  BIGNUM* d = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_D, &d), 1);
  Bytes d_bytes(static_cast<std::size_t>(BN_num_bytes(d)));
  BN_bn2bin(d, d_bytes.data());
  BN_free(d);
  needles.push_back(d_bytes);

  const auto out = dir / "sc.bin";
  const auto log = dir / "espfab.log";
  auto result =
      generate("device_rsa_cert.pem", "device_rsa_key.pem", out, {"--log-level", "trace", "--log-file", log.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  result = run_espfab({"--log-level", "trace", "--log-file", log.string(), "secure-cert", "info", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The requested file does hold the key (the scan works)...
  EXPECT_EQ(files_containing(dir.path(), needles), std::vector<std::string>{"sc.bin"});
  // ...and nothing else does.
  EXPECT_TRUE(files_containing(dir.path(), needles, {"sc.bin"}).empty());
  for (const auto& needle : needles) {
    EXPECT_FALSE(contains_bytes(result.out, needle));
    EXPECT_FALSE(contains_bytes(result.err, needle));
  }
}

}  // namespace
}  // namespace espfab::test
