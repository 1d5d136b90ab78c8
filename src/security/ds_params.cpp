#include "security/ds_params.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::security {

namespace {

namespace ds = chip::esp32s3_ds;

using BnPtr = OpenSslHandle<BIGNUM, BN_free>;
using SecretBnPtr = OpenSslHandle<BIGNUM, BN_clear_free>;
using BnCtxPtr = OpenSslHandle<BN_CTX, BN_CTX_free>;

[[noreturn]] void crypto_failure(const char* what) {
  throw CryptoError("security.ds_params", std::string(what) + ": " + crypto::last_openssl_error(),
                    "the OpenSSL installation may be broken");
}

void check(int ok, const char* what) {
  if (ok <= 0) crypto_failure(what);
}

void check_hmac_key(ByteView hmac_key) {
  if (hmac_key.size() != ds::kHmacKeySize) {
    throw BadInputError("security.ds_hmac_key_size",
                        fmt::format("the DS HMAC key must be {} bytes, got {}", ds::kHmacKeySize, hmac_key.size()),
                        "give the 32-byte key that is (or will be) burned into a key block with purpose "
                        "HMAC_DOWN_DIGITAL_SIGNATURE");
  }
}

unsigned checked_rsa_bits(EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  const bool supported = std::find(ds::kSupportedRsaBits.begin(), ds::kSupportedRsaBits.end(),
                                   static_cast<unsigned>(bits)) != ds::kSupportedRsaBits.end();
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || !supported) {
    const char* type = EVP_PKEY_get0_type_name(key);
    throw BadInputError(
        "security.ds_key_type",
        fmt::format("the DS peripheral signs with RSA-1024/2048/3072/4096 keys; this is {} with {} bits",
                    type != nullptr ? type : "an unknown key type", bits),
        "give an RSA private key of 2048 or 3072 bits");
  }
  return static_cast<unsigned>(bits);
}

// A number little-endian, zero-extended to `size` bytes at `out`.
void put_le(const BIGNUM* value, std::uint8_t* out, std::size_t size) {
  check(BN_bn2lebinpad(value, out, static_cast<int>(size)), "a DS operand does not fit 512 bytes");
}

void aes_256_cbc_encrypt(ByteView key, const DsIv& iv, ByteView in, std::span<std::uint8_t> out) {
  crypto::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) crypto_failure("cannot create a cipher context");
  check(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data()), "AES-256-CBC init");
  check(EVP_CIPHER_CTX_set_padding(ctx.get(), 0), "AES-256-CBC padding");
  int written = 0;
  check(EVP_EncryptUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())),
        "AES-256-CBC encrypt");
  int final_written = 0;
  check(EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_written), "AES-256-CBC final");
  if (written < 0 || final_written != 0 || static_cast<std::size_t>(written) != in.size()) {
    crypto_failure("AES-256-CBC length");
  }
}

}  // namespace

SecretBytes ds_aes_key(ByteView hmac_key) {
  check_hmac_key(hmac_key);
  std::array<std::uint8_t, ds::kAesKeyMessageSize> message{};
  message.fill(ds::kAesKeyMessageByte);
  SecretBytes out(32);
  std::size_t written = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, hmac_key.data(), hmac_key.size(), message.data(),
                message.size(), out.data(), out.size(), &written) == nullptr ||
      written != out.size()) {
    crypto_failure("HMAC-SHA256");
  }
  return out;
}

DsParams encrypt_ds_params(EVP_PKEY* rsa_key, ByteView hmac_key, const DsIv& iv) {
  check_hmac_key(hmac_key);
  const unsigned bits = checked_rsa_bits(rsa_key);

  BIGNUM* raw_n = nullptr;
  BIGNUM* raw_d = nullptr;
  check(EVP_PKEY_get_bn_param(rsa_key, OSSL_PKEY_PARAM_RSA_N, &raw_n), "cannot read the RSA modulus");
  const BnPtr n(raw_n);
  check(EVP_PKEY_get_bn_param(rsa_key, OSSL_PKEY_PARAM_RSA_D, &raw_d), "cannot read the RSA private exponent");
  const SecretBnPtr d(raw_d);

  // Rb = (2^bits)^2 mod M, the Montgomery constant of the operand length.
  const BnCtxPtr ctx(BN_CTX_new());
  const BnPtr r_squared(BN_new());
  const BnPtr rb(BN_new());
  if (!ctx || !r_squared || !rb) crypto_failure("out of memory");
  check(BN_set_bit(r_squared.get(), 2 * static_cast<int>(bits)), "2^(2 bits)");
  check(BN_mod(rb.get(), r_squared.get(), n.get(), ctx.get()), "Rb");

  // The plaintext is built in place: Y || M || Rb first, then MD over Y || M || Rb || M' || L || IV.
  SecretBytes plain(ds::kCiphertextSize);
  put_le(d.get(), plain.data() + ds::kOffsetY, ds::kOperandSize);
  put_le(n.get(), plain.data() + ds::kOffsetM, ds::kOperandSize);
  put_le(rb.get(), plain.data() + ds::kOffsetRb, ds::kOperandSize);

  // M' = -M^-1 mod 2^32, from M's low word by Newton iteration (M is odd).
  const std::uint32_t low = load_le32(plain.view(), ds::kOffsetM);
  std::uint32_t inverse = 1;
  for (int i = 0; i < 5; ++i) inverse *= 2 - low * inverse;  // doubles the correct bits each round
  const std::uint32_t m_prime = 0u - inverse;
  const std::uint32_t length = ds::rsa_length_field(bits);

  std::array<std::uint8_t, 8> tail{};
  store_le32(tail, 0, m_prime);
  store_le32(tail, 4, length);
  crypto::Digest md(EVP_sha256());
  md.update(plain.view().first(ds::kOffsetMd)).update(tail).update(iv);
  Bytes digest = md.finish();
  std::copy(digest.begin(), digest.end(), plain.data() + ds::kOffsetMd);
  secure_wipe(digest.data(), digest.size());
  std::copy(tail.begin(), tail.end(), plain.data() + ds::kOffsetMPrime);
  std::fill_n(plain.data() + ds::kOffsetPadding, ds::kPaddingSize, ds::kPaddingByte);

  DsParams out;
  out.rsa_bits = bits;
  out.iv = iv;
  out.ciphertext.resize(ds::kCiphertextSize);
  const SecretBytes aes_key = ds_aes_key(hmac_key);
  aes_256_cbc_encrypt(aes_key.view(), iv, plain.view(), out.ciphertext);
  return out;
}

DsParams encrypt_ds_params(const SecretBytes& rsa_key_pem, ByteView hmac_key, const DsIv& iv) {
  crypto::EvpPkeyPtr key;
  try {
    key = crypto::load_private_key_pem(rsa_key_pem);
  } catch (const CryptoError& e) {
    throw BadInputError("security.ds_bad_private_key", "the RSA private key is not a usable PEM key: " + e.message(),
                        "give an unencrypted PEM private key (PKCS#8 or PKCS#1)");
  }
  return encrypt_ds_params(key.get(), hmac_key, iv);
}

DsIv random_ds_iv() {
  DsIv iv{};
  const SecretBytes random = crypto::random_secret(iv.size());
  std::copy(random.view().begin(), random.view().end(), iv.begin());
  return iv;
}

}  // namespace espfab::security
