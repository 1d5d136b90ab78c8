#include "util/crypto.hpp"

#include <gtest/gtest.h>

#include <openssl/pem.h>

#include "util/error.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::crypto {
namespace {

TEST(Digests, KnownAnswers) {
  EXPECT_EQ(to_hex(sha256(to_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(md5(to_bytes("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(to_hex(Digest(EVP_sha256()).update(to_bytes("a")).update(to_bytes("bc")).finish()),
            to_hex(sha256(to_bytes("abc"))));
}

// FIPS-197 appendix C.1 and C.3.
TEST(AesEcb, Fips197Vectors) {
  const Bytes plain = from_hex("00112233445566778899aabbccddeeff");
  Bytes out(16);
  AesEcb(from_hex("000102030405060708090a0b0c0d0e0f"), AesEcb::Direction::Encrypt).process(plain, out);
  EXPECT_EQ(to_hex(out), "69c4e0d86a7b0430d8cdb78070b4c55a");
  const Bytes key256 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  AesEcb(key256, AesEcb::Direction::Encrypt).process(plain, out);
  EXPECT_EQ(to_hex(out), "8ea2b7ca516745bfeafc49904b496089");
  AesEcb(key256, AesEcb::Direction::Decrypt).process(Bytes(out), out);
  EXPECT_EQ(out, plain);
}

TEST(AesEcb, RejectsBadKeyAndPartialBlocks) {
  EXPECT_THROW(AesEcb(Bytes(15), AesEcb::Direction::Encrypt), CryptoError);
  Bytes out(16);
  AesEcb aes(Bytes(16), AesEcb::Direction::Encrypt);
  EXPECT_THROW(aes.process(Bytes(10), out), InternalError);
}

TEST(Keys, GenerateExportAndReload) {
  auto key = generate_ec_p256();
  const SecretBytes pem = private_key_pem(key.get());
  ASSERT_FALSE(pem.empty());
  auto reloaded = load_private_key_pem(pem);
  EXPECT_EQ(public_key_pem(key.get()), public_key_pem(reloaded.get()));
  auto public_only = load_public_key_pem(public_key_pem(key.get()));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), public_only.get()), 1);
}

TEST(Keys, BadPemIsCryptoError) {
  SecretBytes junk(std::vector<std::uint8_t>{'n', 'o', 'p', 'e'});
  EXPECT_THROW(load_private_key_pem(junk), CryptoError);
  EXPECT_THROW(load_public_key_pem("nope"), CryptoError);
}

TEST(Keys, EncryptedPemFailsWithoutPrompting) {
  auto key = generate_ec_p256();
  OpenSslHandle<BIO, BIO_free> bio(BIO_new(BIO_s_mem()));
  char password[] = "station-secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr, password), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  SecretBytes pem(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size)));
  EXPECT_THROW(load_private_key_pem(pem), CryptoError);  // stdin is not read: the test would hang otherwise
}

TEST(Random, ProducesDistinctSecrets) {
  const SecretBytes a = random_secret(32);
  const SecretBytes b = random_secret(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace espfab::crypto
