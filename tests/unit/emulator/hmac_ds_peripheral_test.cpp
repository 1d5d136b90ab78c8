// The emulated HMAC and DS peripherals: keys come from eFuse key blocks burned through the
// controller's registers (as a host burns them), purposes are enforced, read protection hides a
// block from software but not from the peripherals, and DS parameters sealed on the host
// (security::encrypt_ds_params, itself byte-identical to Espressif's tool) or taken from the
// tool's own esp_secure_cert partition give signatures the RSA public key verifies.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>

#include "chip/esp32s3_efuse.hpp"
#include "efuse_key_burn.hpp"
#include "emulator/ds_peripheral.hpp"
#include "emulator/efuse_controller.hpp"
#include "emulator/hmac_peripheral.hpp"
#include "image/nvs_keys.hpp"
#include "image/secure_cert_tlv.hpp"
#include "security/ds_params.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::emulator {
namespace {

namespace efuse = chip::esp32s3_efuse;
using efuse::KeyPurpose;
using test_burn::burn_key;
using PkeyCtxPtr = OpenSslHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

Bytes hmac_sha256(ByteView key, ByteView message) {
  Bytes out(32);
  std::size_t written = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), message.data(), message.size(),
            out.data(), out.size(), &written);
  return out;
}

bool verifies(EVP_PKEY* key, ByteView digest, ByteView signature) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  return EVP_PKEY_verify_init(ctx.get()) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) == 1 &&
         EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1 &&
         EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) == 1;
}

Bytes aes_cbc(ByteView key, ByteView iv, ByteView in, bool encrypt) {
  crypto::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  EVP_CipherInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data(), encrypt ? 1 : 0);
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Bytes out(in.size());
  int written = 0;
  EVP_CipherUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size()));
  return out;
}

const Bytes kHmacKey = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

TEST(HmacPeripheral, UpstreamIsHmacSha256WithTheKeyBlock) {
  EfuseController controller;
  burn_key(controller, 3, kHmacKey, KeyPurpose::HmacUp);
  const HmacPeripheral hmac(controller);
  const Bytes message = to_bytes("challenge");
  const auto result = hmac.upstream(3, message);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(Bytes(result->begin(), result->end()), hmac_sha256(kHmacKey, message));
}

TEST(HmacPeripheral, ReadProtectedKeyReadsAsZerosButStillWorks) {
  EfuseController controller;
  burn_key(controller, 1, kHmacKey, KeyPurpose::HmacUp, /*read_protect=*/true);
  const std::uint32_t block_read_offset = efuse::kBlocks[efuse::kBlockKey0 + 1].read_offset;
  for (unsigned w = 0; w < 8; ++w) EXPECT_EQ(controller.read_register(efuse::kBase + block_read_offset + 4 * w), 0u);
  EXPECT_TRUE(HmacPeripheral(controller).upstream(1, to_bytes("x")).has_value());

  EfuseController readable;
  burn_key(readable, 1, kHmacKey, KeyPurpose::HmacUp, /*read_protect=*/false);
  EXPECT_EQ(readable.read_register(efuse::kBase + block_read_offset), load_le32(kHmacKey, 0));
  EXPECT_EQ(*HmacPeripheral(controller).upstream(1, to_bytes("x")),
            *HmacPeripheral(readable).upstream(1, to_bytes("x")));
}

TEST(HmacPeripheral, PurposeMustMatchTheMode) {
  EfuseController controller;
  burn_key(controller, 0, kHmacKey, KeyPurpose::HmacDownDigitalSignature);
  burn_key(controller, 1, kHmacKey, KeyPurpose::HmacDownJtag);
  burn_key(controller, 2, kHmacKey, KeyPurpose::XtsAes128Key);
  burn_key(controller, 4, kHmacKey, KeyPurpose::HmacDownAll);
  const HmacPeripheral hmac(controller);
  for (const unsigned key : {0u, 1u, 2u, 4u, 5u}) {
    const auto result = hmac.upstream(key, to_bytes("m"));
    ASSERT_FALSE(result.has_value()) << key;
    EXPECT_EQ(result.error(), HmacError::KeyPurposeMismatch) << key;
  }
  EXPECT_EQ(hmac.upstream(6, to_bytes("m")).error(), HmacError::NoSuchKey);

  // JTAG downstream: HMAC_DOWN_JTAG or HMAC_DOWN_ALL, token = HMAC(key, 32 zero bytes).
  const Bytes token = hmac_sha256(kHmacKey, Bytes(32, 0));
  EXPECT_TRUE(*hmac.jtag_token_matches(1, token));
  EXPECT_TRUE(*hmac.jtag_token_matches(4, token));
  EXPECT_FALSE(*hmac.jtag_token_matches(1, Bytes(32, 0)));
  EXPECT_EQ(hmac.jtag_token_matches(0, token).error(), HmacError::KeyPurposeMismatch);
}

TEST(HmacPeripheral, NvsKeysOfTheHmacSchemeMatchTheHost) {
  // nvs_sec_provider's HMAC scheme: upstream HMAC over eight 0xAEBE5A5A words (encryption key)
  // and eight 0xCEDEA5A5 words (tweak key), little-endian; the host side is checked against
  // nvs_partition_gen (tests/vectors/nvs).
  const Bytes key = test::read_vector("nvs/hmac_key.bin");
  EfuseController controller;
  burn_key(controller, 5, key, KeyPurpose::HmacUp);
  const HmacPeripheral hmac(controller);
  Bytes ekey_seed;
  Bytes tkey_seed;
  for (int i = 0; i < 8; ++i) {
    append_le32(ekey_seed, 0xAEBE5A5A);
    append_le32(tkey_seed, 0xCEDEA5A5);
  }
  const auto ekey = hmac.upstream(5, ekey_seed);
  const auto tkey = hmac.upstream(5, tkey_seed);
  ASSERT_TRUE(ekey && tkey);
  const image::NvsKeys host = image::NvsKeys::from_hmac_key(key);
  EXPECT_TRUE(std::equal(ekey->begin(), ekey->end(), host.encryption_key().begin(), host.encryption_key().end()));
  EXPECT_TRUE(std::equal(tkey->begin(), tkey->end(), host.tweak_key().begin(), host.tweak_key().end()));
}

struct SealedKey {
  crypto::EvpPkeyPtr key;
  security::DsParams params;
  DsData data() const { return {.rsa_length = params.rsa_length(), .iv = params.iv, .ciphertext = params.ciphertext}; }
};

SealedKey seal(unsigned bits, ByteView hmac_key) {
  SealedKey out{crypto::generate_rsa(bits), {}};
  out.params = security::encrypt_ds_params(out.key.get(), hmac_key, security::random_ds_iv());
  return out;
}

TEST(DsPeripheral, HostSealedParametersSignAndTheSignatureVerifies) {
  const SealedKey sealed = seal(2048, kHmacKey);
  EfuseController controller;
  burn_key(controller, 2, kHmacKey, KeyPurpose::HmacDownDigitalSignature);
  const HmacPeripheral hmac(controller);
  const DsPeripheral ds(hmac);
  const auto digest = crypto::sha256(to_bytes("TLS 1.3, client CertificateVerify"));
  const auto signature = ds_sign_sha256_pkcs1(ds, sealed.data(), 2, digest);
  ASSERT_TRUE(signature.has_value());
  EXPECT_EQ(signature->size(), 256u);
  EXPECT_TRUE(verifies(sealed.key.get(), digest, *signature));
  // HMAC_DOWN_ALL serves the DS too.
  EfuseController all;
  burn_key(all, 0, kHmacKey, KeyPurpose::HmacDownAll);
  const HmacPeripheral hmac_all(all);
  EXPECT_EQ(*ds_sign_sha256_pkcs1(DsPeripheral(hmac_all), sealed.data(), 0, digest), *signature);
}

TEST(DsPeripheral, SignsWithTheToolsPartitionOnA3072BitKey) {
  // The DS data of esp_secure_cert_mgr's own partition, the key block holding its HMAC key.
  const Bytes partition = test::read_vector("ds/esp_secure_cert_ds_rsa3072.bin");
  const image::SecureCertDsIdentity identity = image::read_secure_cert_ds_identity(partition);
  EfuseController controller;
  burn_key(controller, identity.efuse_key_id, test::read_vector("ds/ds_hmac_key.bin"),
           KeyPurpose::HmacDownDigitalSignature);
  const HmacPeripheral hmac(controller);
  const DsData data{.rsa_length = chip::esp32s3_ds::rsa_length_field(identity.rsa_bits),
                    .iv = identity.iv,
                    .ciphertext = identity.ciphertext};
  const auto digest = crypto::sha256(to_bytes("hello"));
  const auto signature = ds_sign_sha256_pkcs1(DsPeripheral(hmac), data, identity.efuse_key_id, digest);
  ASSERT_TRUE(signature.has_value());
  const crypto::EvpPkeyPtr key =
      crypto::load_private_key_pem(SecretBytes(test::read_vector("ds/device_rsa3072_key.pem")));
  EXPECT_TRUE(verifies(key.get(), digest, *signature));
}

TEST(DsPeripheral, FailsAsTheChipDoes) {
  const SealedKey sealed = seal(2048, kHmacKey);
  const Bytes other_key(32, 0x77);
  EfuseController controller;
  burn_key(controller, 0, kHmacKey, KeyPurpose::HmacDownDigitalSignature);
  burn_key(controller, 1, other_key, KeyPurpose::HmacDownDigitalSignature);  // another device's key
  burn_key(controller, 2, kHmacKey, KeyPurpose::HmacUp);                     // right key, wrong purpose
  const HmacPeripheral hmac(controller);
  const DsPeripheral ds(hmac);
  const Bytes message(256, 0x42);

  EXPECT_TRUE(ds.sign(message, sealed.data(), 0).has_value());
  EXPECT_EQ(ds.sign(message, sealed.data(), 1).error(), DsError::InvalidDigest);
  EXPECT_EQ(ds.sign(message, sealed.data(), 2).error(), DsError::HmacFail);
  EXPECT_EQ(ds.sign(message, sealed.data(), 3).error(), DsError::HmacFail);  // no purpose at all

  Bytes tampered = sealed.params.ciphertext;
  tampered[100] ^= 0x01;
  DsData bad = sealed.data();
  bad.ciphertext = tampered;
  EXPECT_EQ(ds.sign(message, bad, 0).error(), DsError::InvalidDigest);
  bad = sealed.data();
  bad.iv[0] ^= 0x01;
  EXPECT_EQ(ds.sign(message, bad, 0).error(), DsError::InvalidDigest);
  // Parameters sealed with the right key and a right digest but other padding bytes.
  const SecretBytes aes_key = security::ds_aes_key(kHmacKey);
  Bytes plain = aes_cbc(aes_key.view(), sealed.params.iv, sealed.params.ciphertext, false);
  plain[chip::esp32s3_ds::kOffsetPadding] = 0x07;
  const Bytes repadded = aes_cbc(aes_key.view(), sealed.params.iv, plain, true);
  bad = sealed.data();
  bad.ciphertext = repadded;
  EXPECT_EQ(ds.sign(message, bad, 0).error(), DsError::InvalidPadding);
  EXPECT_EQ(ds.sign(Bytes(128, 1), sealed.data(), 0).error(), DsError::InvalidArgument);
}

TEST(DsPeripheral, RawSignatureIsXToTheYModM) {
  // Against OpenSSL's raw RSA (no padding) for the same key and a message below M.
  const SealedKey sealed = seal(2048, kHmacKey);
  EfuseController controller;
  burn_key(controller, 4, kHmacKey, KeyPurpose::HmacDownDigitalSignature);
  const HmacPeripheral hmac(controller);
  Bytes message_be(256, 0x00);
  for (std::size_t i = 1; i < message_be.size(); ++i) message_be[i] = static_cast<std::uint8_t>(i * 7);
  Bytes message_le(message_be.rbegin(), message_be.rend());
  const auto z = DsPeripheral(hmac).sign(message_le, sealed.data(), 4);
  ASSERT_TRUE(z.has_value());
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(sealed.key.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_sign_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING), 1);
  Bytes expected(256);
  std::size_t length = expected.size();
  ASSERT_EQ(EVP_PKEY_sign(ctx.get(), expected.data(), &length, message_be.data(), message_be.size()), 1);
  EXPECT_EQ(Bytes(z->rbegin(), z->rend()), expected);
}

}  // namespace
}  // namespace espfab::emulator
