// DS parameter sealing against esp_secure_cert_mgr's calculate_rsa_ds_params (tests/vectors/ds,
// fixed HMAC key and IV), and what the ciphertext holds once decrypted with the DS key.
#include "security/ds_params.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>

#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

namespace ds = chip::esp32s3_ds;

DsIv vector_iv() {
  const Bytes iv = test::read_vector("ds/ds_iv.bin");
  DsIv out{};
  std::copy(iv.begin(), iv.end(), out.begin());
  return out;
}

struct DsVector {
  const char* key;
  const char* ciphertext;
  unsigned bits;
};

class DsParamsMatchTheTool : public ::testing::TestWithParam<DsVector> {};

TEST_P(DsParamsMatchTheTool, ByteForByte) {
  const SecretBytes key(test::read_vector(std::string("ds/") + GetParam().key));
  const Bytes hmac_key = test::read_vector("ds/ds_hmac_key.bin");
  const DsParams params = encrypt_ds_params(key, hmac_key, vector_iv());
  EXPECT_EQ(params.rsa_bits, GetParam().bits);
  EXPECT_EQ(params.rsa_length(), GetParam().bits / 32 - 1);
  EXPECT_EQ(params.iv, vector_iv());
  ASSERT_EQ(params.ciphertext.size(), ds::kCiphertextSize);
  EXPECT_EQ(params.ciphertext, test::read_vector(std::string("ds/") + GetParam().ciphertext));
}

INSTANTIATE_TEST_SUITE_P(Rsa, DsParamsMatchTheTool,
                         ::testing::Values(DsVector{"device_rsa_key.pem", "ds_params_rsa2048.c.bin", 2048},
                                           DsVector{"device_rsa3072_key.pem", "ds_params_rsa3072.c.bin", 3072}));

Bytes decrypt(const SecretBytes& key, const DsIv& iv, ByteView c) {
  crypto::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data());
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  Bytes out(c.size());
  int n = 0;
  EVP_DecryptUpdate(ctx.get(), out.data(), &n, c.data(), static_cast<int>(c.size()));
  return out;
}

TEST(DsParams, PlaintextHoldsTheKeyTheDigestAndThePadding) {
  const crypto::EvpPkeyPtr key = crypto::generate_rsa(2048);
  const Bytes hmac_key(32, 0x5C);
  const DsIv iv = random_ds_iv();
  const DsParams params = encrypt_ds_params(key.get(), hmac_key, iv);
  const Bytes plain = decrypt(ds_aes_key(hmac_key), iv, params.ciphertext);

  EXPECT_EQ(Bytes(plain.begin() + ds::kOffsetPadding, plain.end()), Bytes(ds::kPaddingSize, 0x08));
  EXPECT_EQ(load_le32(plain, ds::kOffsetLength), 2048u / 32 - 1);
  Bytes md_in(plain.begin(), plain.begin() + ds::kOffsetMd);
  md_in.insert(md_in.end(), plain.begin() + ds::kOffsetMPrime, plain.begin() + ds::kOffsetPadding);
  md_in.insert(md_in.end(), iv.begin(), iv.end());
  const auto md = crypto::sha256(md_in);
  EXPECT_TRUE(std::equal(md.begin(), md.end(), plain.begin() + ds::kOffsetMd));
  // M' * M == -1 mod 2^32
  EXPECT_EQ(load_le32(plain, ds::kOffsetMPrime) * load_le32(plain, ds::kOffsetM), 0xFFFFFFFFu);
  // Operands above 2048 bits are zero.
  EXPECT_TRUE(std::all_of(plain.begin() + ds::kOffsetM + 256, plain.begin() + ds::kOffsetRb,
                          [](std::uint8_t b) { return b == 0; }));
}

TEST(DsParams, AnotherHmacKeyOrIvGivesAnotherCiphertext) {
  const crypto::EvpPkeyPtr key = crypto::generate_rsa(2048);
  const DsIv iv = random_ds_iv();
  const DsParams a = encrypt_ds_params(key.get(), Bytes(32, 1), iv);
  const DsParams b = encrypt_ds_params(key.get(), Bytes(32, 2), iv);
  DsIv other = iv;
  other[0] ^= 1;
  const DsParams c = encrypt_ds_params(key.get(), Bytes(32, 1), other);
  EXPECT_NE(a.ciphertext, b.ciphertext);
  EXPECT_NE(a.ciphertext, c.ciphertext);
}

TEST(DsParams, RefusesWhatTheDsCannotUse) {
  const crypto::EvpPkeyPtr rsa = crypto::generate_rsa(2048);
  EXPECT_THROW(encrypt_ds_params(rsa.get(), Bytes(16, 1), DsIv{}), BadInputError);
  const crypto::EvpPkeyPtr ec = crypto::generate_ec_p256();
  EXPECT_THROW(encrypt_ds_params(ec.get(), Bytes(32, 1), DsIv{}), BadInputError);
  const crypto::EvpPkeyPtr odd = crypto::generate_rsa(1536);
  EXPECT_THROW(encrypt_ds_params(odd.get(), Bytes(32, 1), DsIv{}), BadInputError);
  EXPECT_THROW(encrypt_ds_params(SecretBytes(Bytes{'x'}), Bytes(32, 1), DsIv{}), BadInputError);
  EXPECT_THROW(ds_aes_key(Bytes(31, 0)), BadInputError);
}

}  // namespace
}  // namespace espfab::security
