// esp_secure_cert partitions of a DS identity: byte identity with configure_esp_secure_cert.py
// --configure_ds (tests/vectors/ds), reading the DS parameters back, and the refusals.
#include <gtest/gtest.h>

#include <algorithm>

#include "chip/esp32s3_ds.hpp"
#include "image/secure_cert_tlv.hpp"
#include "support/test_paths.hpp"
#include "util/crc32.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

using test::read_vector;
using test::read_vector_text;

struct DsVector {
  const char* device;  // certificate file prefix
  unsigned bits;
};

class SecureCertDsMatchesTheTool : public ::testing::TestWithParam<DsVector> {};

TEST_P(SecureCertDsMatchesTheTool, ByteForByte) {
  const std::string bits = std::to_string(GetParam().bits);
  const Bytes ca = read_vector("ds/ca_cert.pem");
  const Bytes cert = read_vector(std::string("ds/") + GetParam().device + "_cert.pem");
  const Bytes iv = read_vector("ds/ds_iv.bin");
  const Bytes c = read_vector("ds/ds_params_rsa" + bits + ".c.bin");
  const Bytes built = build_secure_cert_partition_ds(
      {.ca_cert = ca, .device_cert = cert, .rsa_bits = GetParam().bits, .iv = iv, .ciphertext = c, .efuse_key_id = 2});
  EXPECT_EQ(built, read_vector("ds/esp_secure_cert_ds_rsa" + bits + ".bin"));
}

TEST_P(SecureCertDsMatchesTheTool, ReadsTheParametersBack) {
  const std::string bits = std::to_string(GetParam().bits);
  const SecureCertDsIdentity identity =
      read_secure_cert_ds_identity(read_vector("ds/esp_secure_cert_ds_rsa" + bits + ".bin"));
  EXPECT_EQ(identity.rsa_bits, GetParam().bits);
  EXPECT_EQ(identity.efuse_key_id, 2);
  const Bytes iv = read_vector("ds/ds_iv.bin");
  EXPECT_TRUE(std::equal(iv.begin(), iv.end(), identity.iv.begin(), identity.iv.end()));
  EXPECT_EQ(identity.ciphertext, read_vector("ds/ds_params_rsa" + bits + ".c.bin"));
  EXPECT_EQ(identity.ca_cert, read_vector_text("ds/ca_cert.pem"));
  EXPECT_EQ(identity.device_cert, read_vector_text(std::string("ds/") + GetParam().device + "_cert.pem"));
}

INSTANTIATE_TEST_SUITE_P(Rsa, SecureCertDsMatchesTheTool,
                         ::testing::Values(DsVector{"device_rsa", 2048}, DsVector{"device_rsa3072", 3072}));

TEST(SecureCertDs, HasNoPrivateKeyRecord) {
  const Bytes file = read_vector("ds/esp_secure_cert_ds_rsa2048.bin");
  const SecureCertPartition parsed = parse_secure_cert_partition(file);
  EXPECT_TRUE(parsed.valid());
  EXPECT_EQ(parsed.find(SecureCertTlvType::PrivKey), nullptr);
  EXPECT_THROW(read_secure_cert_identity(file), BadInputError);
}

TEST(SecureCertDs, RefusesParametersTheDeviceCannotUse) {
  const Bytes cert = read_vector("ds/device_rsa_cert.pem");
  const Bytes iv(16, 1);
  const Bytes c(chip::esp32s3_ds::kCiphertextSize, 2);
  const SecureCertDsContents good{.device_cert = cert, .rsa_bits = 2048, .iv = iv, .ciphertext = c};
  EXPECT_NO_THROW(build_secure_cert_partition_ds(good));
  auto bad = good;
  bad.rsa_bits = 1536;
  EXPECT_THROW(build_secure_cert_partition_ds(bad), BadInputError);
  bad = good;
  bad.efuse_key_id = 6;
  EXPECT_THROW(build_secure_cert_partition_ds(bad), BadInputError);
  bad = good;
  const Bytes short_c(1216, 2);  // an ESP32-C3's size
  bad.ciphertext = short_c;
  EXPECT_THROW(build_secure_cert_partition_ds(bad), BadInputError);
  bad = good;
  bad.device_cert = {};
  EXPECT_THROW(build_secure_cert_partition_ds(bad), BadInputError);
}

TEST(SecureCertDs, RefusesRecordsThatDisagree) {
  // The context says 3072 bits, the data's length field 2048 (63): rebuilt with valid CRCs.
  const Bytes cert = read_vector("ds/device_rsa_cert.pem");
  const Bytes iv(16, 1);
  const Bytes c(chip::esp32s3_ds::kCiphertextSize, 2);
  Bytes file = build_secure_cert_partition_ds(
      {.device_cert = cert, .rsa_bits = 2048, .iv = iv, .ciphertext = c, .integrity = false});
  const SecureCertPartition parsed = parse_secure_cert_partition(file);
  const SecureCertTlv* context = parsed.find(SecureCertTlvType::DsContext);
  ASSERT_NE(context, nullptr);
  store_le16(file, context->value_offset() + 6, 3072);
  EXPECT_THROW(read_secure_cert_ds_identity(file), BadInputError);  // CRC now wrong
  const std::size_t crc_at = context->offset + context->record_size() - kSecureCertTlvFooterSize;
  store_le32(file, crc_at, crc32_esp(ByteView(file).subspan(context->offset, crc_at - context->offset)));
  ASSERT_TRUE(parse_secure_cert_partition(file).valid());
  EXPECT_THROW(read_secure_cert_ds_identity(file), BadInputError);
}

}  // namespace
}  // namespace espfab::image
