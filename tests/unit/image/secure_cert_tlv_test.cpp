// esp_secure_cert TLV partitions: byte identity with configure_esp_secure_cert.py, parsing, and
// the checks a reader makes (CRC, integrity, truncation).
#include "image/secure_cert_tlv.hpp"

#include <gtest/gtest.h>

#include "support/test_paths.hpp"
#include "util/crc32.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::image {
namespace {

using test::read_vector;

Bytes to_vec(const SecretBytes& secret) { return Bytes(secret.view().begin(), secret.view().end()); }

SecretBytes build_from_vectors(const std::string& device) {
  const Bytes ca = read_vector("secure_cert/ca_cert.pem");
  const Bytes cert = read_vector("secure_cert/device_" + device + "_cert.pem");
  const SecretBytes key(read_vector("secure_cert/device_" + device + "_key.pem"));
  return build_secure_cert_partition({.ca_cert = ca, .device_cert = cert, .private_key = &key});
}

TEST(SecureCertTlv, CrcIsTheEspVariant) { EXPECT_EQ(crc32_esp(to_bytes("123456789")), 0xD202D277u); }

TEST(SecureCertTlv, EcdsaPartitionIsByteIdentical) {
  const SecretBytes partition = build_from_vectors("ecdsa");
  EXPECT_EQ(to_vec(partition), read_vector("secure_cert/esp_secure_cert_ecdsa.bin"));
  EXPECT_EQ(read_vector("secure_cert/esp_secure_cert_ecdsa_noalgo.bin"), to_vec(partition));
}

// Found by secure_cert_parse_fuzz: reserved header bytes that are not zero (and a CRC that covers
// them) must be reported, since a rebuild from the records would write zeros there.
TEST(SecureCertTlv, ReportsNonzeroReservedHeaderBytes) {
  Bytes file = read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  file[5] = 0x38;  // the first record's reserved bytes follow its flags byte at offset 4
  const std::size_t crc_offset = secure_cert_record_size(636) - kSecureCertTlvFooterSize;
  store_le32(file, crc_offset, crc32_esp(ByteView(file).first(crc_offset)));
  const SecureCertPartition parsed = parse_secure_cert_partition(file);
  EXPECT_TRUE(parsed.tlvs[0].crc_valid());
  EXPECT_TRUE(parsed.nonzero_reserved);
  EXPECT_FALSE(parsed.nonzero_padding);
}

TEST(SecureCertTlv, RsaPartitionIsByteIdentical) {
  EXPECT_EQ(to_vec(build_from_vectors("rsa")), read_vector("secure_cert/esp_secure_cert_rsa.bin"));
}

TEST(SecureCertTlv, ParsesTheVectorRecords) {
  const Bytes file = read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  const SecureCertPartition parsed = parse_secure_cert_partition(file);
  ASSERT_EQ(parsed.tlvs.size(), 4u);
  EXPECT_TRUE(parsed.valid());
  EXPECT_EQ(parsed.end, file.size());
  EXPECT_TRUE(parsed.tail_erased);
  EXPECT_FALSE(parsed.nonzero_padding);
  EXPECT_FALSE(parsed.nonzero_reserved);
  const std::uint8_t types[] = {0, 1, 2, 9};
  const std::uint16_t lengths[] = {636, 515, 228, 32};
  const std::uint32_t crcs[] = {0xc0042cc5, 0xc48bf45d, 0x67a2992d, 0x53016620};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(parsed.tlvs[i].type, types[i]);
    EXPECT_EQ(parsed.tlvs[i].subtype, 0);
    EXPECT_EQ(parsed.tlvs[i].flags, 0);
    EXPECT_EQ(parsed.tlvs[i].length, lengths[i]);
    EXPECT_EQ(parsed.tlvs[i].stored_crc, crcs[i]);
    EXPECT_TRUE(parsed.tlvs[i].crc_valid());
  }
  EXPECT_EQ(parsed.tlvs[3].integrity_valid, std::optional<bool>(true));
  EXPECT_FALSE(parsed.tlvs[0].integrity_valid.has_value());
  EXPECT_EQ(parsed.tlvs[1].offset, secure_cert_record_size(636));
  ASSERT_NE(parsed.find(SecureCertTlvType::PrivKey), nullptr);
  EXPECT_EQ(parsed.find(SecureCertTlvType::DsData), nullptr);
}

TEST(SecureCertTlv, ReadsTheIdentityBack) {
  const Bytes file = read_vector("secure_cert/esp_secure_cert_rsa.bin");
  const SecureCertIdentity identity = read_secure_cert_identity(file);
  const Bytes cert = read_vector("secure_cert/device_rsa_cert.pem");
  EXPECT_EQ(identity.device_cert, std::string(cert.begin(), cert.end()));
  const Bytes ca = read_vector("secure_cert/ca_cert.pem");
  EXPECT_EQ(identity.ca_cert, std::string(ca.begin(), ca.end()));
  // The PKCS#8 file went in; the generator stored the same key as PKCS#1 ("RSA PRIVATE KEY").
  const std::string stored(identity.private_key.view().begin(), identity.private_key.view().end());
  EXPECT_EQ(stored.rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0), 0u);
  const auto from_partition = crypto::load_private_key_pem(identity.private_key);
  const auto from_file = crypto::load_private_key_pem(SecretBytes(read_vector("secure_cert/device_rsa_key.pem")));
  EXPECT_EQ(EVP_PKEY_eq(from_partition.get(), from_file.get()), 1);
  EXPECT_EQ(identity.private_key_flags, 0);
}

TEST(SecureCertTlv, ErasedFlashAfterTheRecordsIsFine) {
  Bytes file = read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  file.resize(kSecureCertPartitionSize, 0xFF);
  const SecureCertPartition parsed = parse_secure_cert_partition(file);
  EXPECT_EQ(parsed.tlvs.size(), 4u);
  EXPECT_TRUE(parsed.tail_erased);
  EXPECT_TRUE(parsed.valid());
}

TEST(SecureCertTlv, ErasedPartitionHasNoRecords) {
  const SecureCertPartition parsed = parse_secure_cert_partition(Bytes(kSecureCertPartitionSize, 0xFF));
  EXPECT_TRUE(parsed.tlvs.empty());
  EXPECT_FALSE(parsed.valid());
}

TEST(SecureCertTlv, FlippedValueByteFailsCrcAndIntegrity) {
  Bytes file = read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  file[40] ^= 0x01;  // inside the CA certificate
  const SecureCertPartition parsed = parse_secure_cert_partition(file);
  ASSERT_EQ(parsed.tlvs.size(), 4u);
  EXPECT_FALSE(parsed.tlvs[0].crc_valid());
  EXPECT_TRUE(parsed.tlvs[1].crc_valid());
  EXPECT_EQ(parsed.tlvs[3].integrity_valid, std::optional<bool>(false));
  EXPECT_FALSE(parsed.valid());
  EXPECT_THROW(read_secure_cert_identity(file), BadInputError);
}

TEST(SecureCertTlv, TruncatedRecordIsBadInput) {
  const Bytes file = read_vector("secure_cert/esp_secure_cert_ecdsa.bin");
  const Bytes cut(file.begin(), file.begin() + 100);
  EXPECT_THROW(parse_secure_cert_partition(cut), BadInputError);
}

TEST(SecureCertTlv, GarbageIsBadInput) {
  try {
    parse_secure_cert_partition(to_bytes("-----BEGIN CERTIFICATE-----"));
    FAIL() << "expected BadInputError";
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "secure_cert.bad_magic");
  }
}

TEST(SecureCertTlv, WriterPadsWithZeroAndChecksRecords) {
  SecureCertTlvWriter writer;
  const Bytes value = to_bytes("abc");
  writer.add({.type = 51, .subtype = 2, .flags = 0x80, .value = value});
  EXPECT_EQ(writer.size(), secure_cert_record_size(3));
  const SecretBytes out = std::move(writer).finish();
  const Bytes bytes = to_vec(out);
  ASSERT_EQ(bytes.size(), 12u + 16u + 4u);
  EXPECT_EQ(to_hex(ByteView(bytes).first(12)),
            "11ba5eba80000000330203"
            "00");
  EXPECT_EQ(to_hex(ByteView(bytes).subspan(12, 16)), "61626300000000000000000000000000");
  EXPECT_EQ(load_le32(bytes, 28), crc32_esp(ByteView(bytes).first(28)));
  const SecureCertPartition parsed = parse_secure_cert_partition(bytes);
  ASSERT_EQ(parsed.tlvs.size(), 1u);
  EXPECT_EQ(parsed.tlvs[0].type, 51);
  EXPECT_EQ(parsed.tlvs[0].flags, 0x80);
  EXPECT_EQ(secure_cert_flag_names(parsed.tlvs[0].flags), std::vector<std::string>{"hmac_encrypted_key"});
}

TEST(SecureCertTlv, StoresAPkcs8EcKeyAsSec1) {
  auto key = crypto::generate_ec_p256();
  const SecretBytes pkcs8 = crypto::private_key_pem(key.get());
  const Bytes cert = to_bytes("cert");
  const SecretBytes partition = build_secure_cert_partition({.device_cert = cert, .private_key = &pkcs8});
  const SecureCertIdentity identity = read_secure_cert_identity(partition.view());
  EXPECT_EQ(identity.private_key, crypto::private_key_pem_traditional(key.get()));
  const std::string stored(identity.private_key.view().begin(), identity.private_key.view().end());
  EXPECT_EQ(stored.rfind("-----BEGIN EC PRIVATE KEY-----\n", 0), 0u);
}

TEST(SecureCertTlv, RefusesAKeyThatDoesNotParse) {
  const Bytes cert = to_bytes("cert");
  const SecretBytes key(to_bytes("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"));
  try {
    build_secure_cert_partition({.device_cert = cert, .private_key = &key});
    FAIL() << "expected BadInputError";
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "secure_cert.bad_private_key");
  }
}

TEST(SecureCertTlv, RefusesMoreThanThePartitionHolds) {
  const Bytes big(7000, 'A');
  const SecretBytes key(crypto::private_key_pem(crypto::generate_rsa(2048).get()));
  try {
    build_secure_cert_partition({.device_cert = big, .private_key = &key});
    FAIL() << "expected BadInputError";
  } catch (const BadInputError& e) {
    EXPECT_EQ(e.code(), "secure_cert.too_large");
  }
}

TEST(SecureCertTlv, RefusesMissingParts) {
  const Bytes cert = to_bytes("cert");
  const SecretBytes key(crypto::private_key_pem(crypto::generate_ec_p256().get()));
  EXPECT_THROW(build_secure_cert_partition({.device_cert = cert}), BadInputError);
  EXPECT_THROW(build_secure_cert_partition({.private_key = &key}), BadInputError);
  // Without a CA certificate the record is left out.
  const SecretBytes partition = build_secure_cert_partition({.device_cert = cert, .private_key = &key});
  EXPECT_EQ(parse_secure_cert_partition(partition.view()).tlvs.size(), 3u);
}

TEST(SecureCertTlv, TypeNames) {
  EXPECT_EQ(secure_cert_tlv_type_name(0), "ca_cert");
  EXPECT_EQ(secure_cert_tlv_type_name(9), "integrity");
  EXPECT_EQ(secure_cert_tlv_type_name(55), "user_data_5");
  EXPECT_EQ(secure_cert_tlv_type_name(200), "unknown");
  EXPECT_EQ(secure_cert_flag_names(0x48), (std::vector<std::string>{"hmac_derived_ecdsa_key", "ecdsa_peripheral_key"}));
}

}  // namespace
}  // namespace espfab::image
