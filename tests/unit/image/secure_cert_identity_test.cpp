// Identity -> partitions in memory: the esp_secure_cert partition and the encrypted NVS partition
// read back to the same certificate and key; the NVS ciphertext holds no key bytes.
#include "image/identity_partitions.hpp"

#include <gtest/gtest.h>

#include "image/nvs_reader.hpp"
#include "image/secure_cert_tlv.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"

namespace espfab::image {
namespace {

TEST(IdentityPartitions, SecureCertFromAnIdentityMatchesTheVector) {
  const std::string cert = test::read_vector_text("secure_cert/device_ecdsa_cert.pem");
  const std::string ca = test::read_vector_text("secure_cert/ca_cert.pem");
  const auto key = crypto::load_private_key_pem(SecretBytes(test::read_vector("secure_cert/device_ecdsa_key.pem")));
  const SecretBytes partition =
      build_identity_secure_cert({.device_cert_pem = cert, .ca_cert_pem = ca, .private_key = key.get()});
  EXPECT_EQ(Bytes(partition.view().begin(), partition.view().end()),
            test::read_vector("secure_cert/esp_secure_cert_ecdsa.bin"));
}

TEST(IdentityPartitions, EncryptedNvsReadsBack) {
  const std::string cert = test::read_vector_text("secure_cert/device_rsa_cert.pem");
  const std::string ca = test::read_vector_text("secure_cert/ca_cert.pem");
  const auto key = crypto::load_private_key_pem(SecretBytes(test::read_vector("secure_cert/device_rsa_key.pem")));
  const NvsKeys keys = NvsKeys::generate();
  const Bytes nvs = build_identity_nvs({.device_cert_pem = cert, .ca_cert_pem = ca, .private_key = key.get()}, keys);
  EXPECT_EQ(nvs.size(), 0x6000u);
  const NvsPartitionContents contents = read_nvs_partition(nvs, &keys);
  ASSERT_TRUE(contents.valid());
  ASSERT_NE(contents.find("identity", "dev_cert"), nullptr);
  EXPECT_EQ(contents.find("identity", "dev_cert")->data, SecretBytes(to_bytes(cert)));
  EXPECT_EQ(contents.find("identity", "priv_key")->data, crypto::private_key_pem_traditional(key.get()));
  const SecretBytes pem = crypto::private_key_pem_traditional(key.get());
  const ByteView line = pem.view().subspan(32, 64);  // a base64 line of the key
  EXPECT_EQ(std::search(nvs.begin(), nvs.end(), line.begin(), line.end()), nvs.end());
  EXPECT_EQ(read_nvs_partition(nvs).values.size(), 0u);  // without keys nothing is readable
}

}  // namespace
}  // namespace espfab::image
