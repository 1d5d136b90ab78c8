// secure-cert's services: the partition generate_secure_cert writes is the vector byte for byte,
// only its owner may read it, and the identity reader gets the certificates and key back; a key of
// another certificate writes nothing; inspect_secure_cert describes each record, finds a flipped
// byte, and hands back the parser's error for a file that is no partition.
#include "service/secure_cert_operations.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

std::filesystem::path vec(const std::string& name) { return test::vector_path("secure_cert/" + name); }

std::string text_of(const std::string& name) {
  const Bytes bytes = test::read_vector("secure_cert/" + name);
  return std::string(bytes.begin(), bytes.end());
}

SecureCertGenerateRequest request_for(const std::string& kind, const std::filesystem::path& output) {
  return {.device_cert = vec("device_" + kind + "_cert.pem"),
          .private_key = vec("device_" + kind + "_key.pem"),
          .ca_cert = vec("ca_cert.pem"),
          .output = output,
          .integrity = true};
}

TEST(SecureCertOperations, GenerateWritesAPartitionTheIdentityReaderReadsBack) {
  test::TempDir dir;
  const auto output = dir / "sc.bin";
  const SecureCertGenerateResult result = generate_secure_cert(request_for("ecdsa", output));

  const Bytes written = read_file(output);
  EXPECT_EQ(written, test::read_vector("secure_cert/esp_secure_cert_ecdsa.bin"));
  EXPECT_EQ(result.size, written.size());
  EXPECT_EQ(result.ca_subject, "CN=espfab Test CA pub,O=espfab test");
  EXPECT_EQ(result.device_subject, "CN=esp32s3-pub-ecdsa,O=espfab test");
  EXPECT_EQ(result.key_description, "EC 256");
  struct stat info {};
  ASSERT_EQ(::stat(output.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the partition holds the private key";

  const image::SecureCertIdentity identity = image::read_secure_cert_identity(written);
  EXPECT_EQ(identity.device_cert, text_of("device_ecdsa_cert.pem"));
  EXPECT_EQ(identity.ca_cert, text_of("ca_cert.pem"));
  const auto from_partition = crypto::load_private_key_pem(identity.private_key);
  const auto from_file =
      crypto::load_private_key_pem(SecretBytes(test::read_vector("secure_cert/device_ecdsa_key.pem")));
  EXPECT_EQ(EVP_PKEY_eq(from_partition.get(), from_file.get()), 1);
}

TEST(SecureCertOperations, GenerateWithoutIntegrityLeavesTheRecordOut) {
  test::TempDir dir;
  SecureCertGenerateRequest request = request_for("rsa", dir / "sc.bin");
  request.integrity = false;
  const SecureCertGenerateResult result = generate_secure_cert(request);
  EXPECT_EQ(result.key_description, "RSA 2048");
  const auto parsed = image::parse_secure_cert_partition(SecretBytes(read_file(dir / "sc.bin")).view());
  EXPECT_EQ(parsed.tlvs.size(), 3u);
  EXPECT_EQ(parsed.find(image::SecureCertTlvType::Integrity), nullptr);
  EXPECT_TRUE(parsed.valid());
}

TEST(SecureCertOperations, GenerateRefusesMismatchesAndWritesNothing) {
  test::TempDir dir;
  SecureCertGenerateRequest request = request_for("rsa", dir / "sc.bin");
  request.private_key = vec("device_ecdsa_key.pem");
  test::expect_error<BadInputError>([&] { generate_secure_cert(request); }, "secure_cert.key_mismatch");

  request = request_for("ecdsa", dir / "sc.bin");
  request.ca_cert = vec("device_rsa_cert.pem");  // a certificate, but not the issuer
  test::expect_error<BadInputError>([&] { generate_secure_cert(request); }, "secure_cert.not_issued_by_ca");

  request = request_for("ecdsa", dir / "sc.bin");
  request.device_cert = vec("device_ecdsa_key.pem");
  const auto error =
      test::expect_error<BadInputError>([&] { generate_secure_cert(request); }, "secure_cert.bad_certificate");
  EXPECT_NE(error.message().find("--device-cert"), std::string::npos) << error.message();
  EXPECT_TRUE(dir.entries().empty());
}

TEST(SecureCertOperations, InspectDescribesEachRecord) {
  const Result<SecureCertInfo> info = inspect_secure_cert(vec("esp_secure_cert_rsa.bin"));
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_TRUE(info->valid);
  EXPECT_EQ(info->size, 3216u);
  EXPECT_EQ(info->end, 3216u);
  EXPECT_TRUE(info->tail_erased);
  ASSERT_EQ(info->records.size(), 4u);
  EXPECT_EQ(info->records[0].type_name, "ca_cert");
  EXPECT_EQ(info->records[0].subject, "CN=espfab Test CA pub,O=espfab test");
  EXPECT_EQ(info->records[1].subject, "CN=esp32s3-pub-rsa,O=espfab test");
  EXPECT_EQ(info->records[2].type_name, "priv_key");
  EXPECT_EQ(info->records[2].key, "RSA 2048");
  EXPECT_FALSE(info->records[2].subject);
  EXPECT_EQ(info->records[3].tlv.integrity_valid, true);
  for (const auto& record : info->records) EXPECT_TRUE(record.tlv.crc_valid());
}

TEST(SecureCertOperations, InspectFindsAFlippedByte) {
  test::TempDir dir;
  Bytes file = test::read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  file[700] ^= 0x20;  // inside the device certificate
  write_file_atomic(dir / "bad.bin", file);
  const Result<SecureCertInfo> info = inspect_secure_cert(dir / "bad.bin");
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_FALSE(info->valid);
  ASSERT_EQ(info->records.size(), 4u);
  EXPECT_FALSE(info->records[1].tlv.crc_valid());
  EXPECT_EQ(info->records[3].tlv.integrity_valid, false);
}

TEST(SecureCertOperations, InspectReturnsTheParserErrorForSomethingElse) {
  const Result<SecureCertInfo> info = inspect_secure_cert(vec("ca_cert.pem"));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind(), ErrorKind::BadInput);
  EXPECT_EQ(info.error().code(), "secure_cert.bad_magic");
  ASSERT_EQ(info.error().context().size(), 1u);
  EXPECT_EQ(info.error().context()[0], "reading esp_secure_cert partition " + vec("ca_cert.pem").string());
  EXPECT_THROW((void)inspect_secure_cert(vec("no_such_file.bin")), IoError);
}

}  // namespace
}  // namespace espfab::service
