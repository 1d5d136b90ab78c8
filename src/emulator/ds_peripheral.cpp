#include "emulator/ds_peripheral.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "util/crypto.hpp"
#include "util/error.hpp"

namespace espfab::emulator {
namespace {

namespace ds = chip::esp32s3_ds;

using Words = std::vector<std::uint32_t>;

constexpr std::uint32_t kMaxLength = ds::kMaxRsaBits / 32 - 1;

// SHA-256 DigestInfo prefix of RSASSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1).
constexpr std::array<std::uint8_t, 19> kSha256DigestInfo{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                                         0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

Words load_words(const std::uint8_t* bytes, std::size_t words) {
  Words out(words);
  for (std::size_t i = 0; i < words; ++i) out[i] = load_le32(ByteView(bytes + 4 * i, 4), 0);
  return out;
}

void wipe(Words& words) { secure_wipe(words.data(), words.size() * sizeof(std::uint32_t)); }

// Montgomery product a * b * 2^(-32 n) mod m (CIOS), with m_prime = -m^-1 mod 2^32 as given.
Words mont_mul(const Words& a, const Words& b, const Words& m, std::uint32_t m_prime) {
  const std::size_t n = m.size();
  std::vector<std::uint64_t> t(n + 2, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t carry = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint64_t sum = t[j] + std::uint64_t{a[j]} * b[i] + carry;
      t[j] = sum & 0xFFFFFFFFu;
      carry = sum >> 32;
    }
    std::uint64_t sum = t[n] + carry;
    t[n] = sum & 0xFFFFFFFFu;
    t[n + 1] = sum >> 32;
    const std::uint64_t u = (t[0] * m_prime) & 0xFFFFFFFFu;
    carry = (t[0] + u * m[0]) >> 32;
    for (std::size_t j = 1; j < n; ++j) {
      sum = t[j] + u * m[j] + carry;
      t[j - 1] = sum & 0xFFFFFFFFu;
      carry = sum >> 32;
    }
    sum = t[n] + carry;
    t[n - 1] = sum & 0xFFFFFFFFu;
    t[n] = t[n + 1] + (sum >> 32);
  }
  // Subtract m once if t >= m.
  bool ge = t[n] != 0;
  if (!ge) {
    ge = true;
    for (std::size_t j = n; j-- > 0;) {
      if (t[j] != m[j]) {
        ge = t[j] > m[j];
        break;
      }
    }
  }
  Words out(n);
  std::int64_t borrow = 0;
  for (std::size_t j = 0; j < n; ++j) {
    std::int64_t diff = static_cast<std::int64_t>(t[j]) - (ge ? std::int64_t{m[j]} : 0) - borrow;
    borrow = diff < 0 ? 1 : 0;
    if (diff < 0) diff += std::int64_t{1} << 32;
    out[j] = static_cast<std::uint32_t>(diff);
  }
  secure_wipe(t.data(), t.size() * sizeof(std::uint64_t));
  return out;
}

// Z = X^Y mod M as the DS computes it: X into the Montgomery domain with Rb, square-and-multiply
// over Y's bits, out of the domain by a product with 1.
Words mod_exp(const Words& x, const Words& y, const Words& m, const Words& rb, std::uint32_t m_prime) {
  const std::size_t n = m.size();
  Words one(n, 0);
  one[0] = 1;
  Words base = mont_mul(x, rb, m, m_prime);
  Words acc = mont_mul(one, rb, m, m_prime);  // 1 in the Montgomery domain
  for (std::size_t bit = n * 32; bit-- > 0;) {
    Words squared = mont_mul(acc, acc, m, m_prime);
    wipe(acc);
    acc = std::move(squared);
    if ((y[bit / 32] >> (bit % 32)) & 1u) {
      Words product = mont_mul(acc, base, m, m_prime);
      wipe(acc);
      acc = std::move(product);
    }
  }
  Words z = mont_mul(acc, one, m, m_prime);
  wipe(acc);
  wipe(base);
  return z;
}

bool aes_256_cbc_decrypt(ByteView key, ByteView iv, ByteView in, std::span<std::uint8_t> out) {
  crypto::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int written = 0;
  int final_written = 0;
  return ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.data(), iv.data()) == 1 &&
         EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
         EVP_DecryptUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &final_written) == 1;
}

}  // namespace

tl::expected<Bytes, DsError> DsPeripheral::sign(ByteView message, const DsData& data, unsigned key_id) const {
  if (data.rsa_length > kMaxLength || data.ciphertext.size() != ds::kCiphertextSize ||
      message.size() != (std::size_t{data.rsa_length} + 1) * 4) {
    return tl::make_unexpected(DsError::InvalidArgument);
  }
  auto key = hmac_.ds_key(key_id);
  if (!key) return tl::make_unexpected(DsError::HmacFail);

  SecretBytes plain(ds::kCiphertextSize);
  if (!aes_256_cbc_decrypt(key->view(), data.iv, data.ciphertext, plain.mutable_view())) {
    throw CryptoError("emulator.ds", "AES-256-CBC failed: " + crypto::last_openssl_error());
  }
  key->wipe();

  // The checks the hardware makes before it releases the result.
  const std::uint32_t length = load_le32(plain.view(), ds::kOffsetLength);
  crypto::Digest md(EVP_sha256());
  md.update(plain.view().first(ds::kOffsetMd))
      .update(plain.view().subspan(ds::kOffsetMPrime, ds::kOffsetPadding - ds::kOffsetMPrime))
      .update(data.iv);
  Bytes digest = md.finish();
  const bool digest_ok = CRYPTO_memcmp(digest.data(), plain.data() + ds::kOffsetMd, ds::kDigestSize) == 0;
  secure_wipe(digest.data(), digest.size());
  if (!digest_ok) return tl::make_unexpected(DsError::InvalidDigest);
  const ByteView padding = plain.view().subspan(ds::kOffsetPadding, ds::kPaddingSize);
  if (!std::all_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b == ds::kPaddingByte; })) {
    return tl::make_unexpected(DsError::InvalidPadding);
  }
  // The hardware works on the length the parameters hold; a driver giving another one feeds it
  // the wrong number of words.
  if (length != data.rsa_length) return tl::make_unexpected(DsError::InvalidArgument);

  const std::size_t words = std::size_t{length} + 1;
  Words y = load_words(plain.data() + ds::kOffsetY, words);
  const Words m = load_words(plain.data() + ds::kOffsetM, words);
  const Words rb = load_words(plain.data() + ds::kOffsetRb, words);
  const std::uint32_t m_prime = load_le32(plain.view(), ds::kOffsetMPrime);
  plain.wipe();
  const Words x = load_words(message.data(), words);
  Words z = mod_exp(x, y, m, rb, m_prime);
  wipe(y);

  Bytes out(words * 4);
  for (std::size_t i = 0; i < words; ++i) store_le32(out, 4 * i, z[i]);
  return out;
}

tl::expected<Bytes, DsError> ds_sign_sha256_pkcs1(const DsPeripheral& ds, const DsData& data, unsigned key_id,
                                                  ByteView sha256_digest) {
  const std::size_t size = (std::size_t{data.rsa_length} + 1) * 4;
  if (sha256_digest.size() != 32 || data.rsa_length > kMaxLength ||
      size < kSha256DigestInfo.size() + sha256_digest.size() + 11) {
    return tl::make_unexpected(DsError::InvalidArgument);
  }
  // EM = 00 01 FF..FF 00 DigestInfo digest (big-endian), handed to the DS reversed.
  Bytes em(size, 0xFF);
  em[0] = 0x00;
  em[1] = 0x01;
  const std::size_t tail = kSha256DigestInfo.size() + sha256_digest.size();
  em[size - tail - 1] = 0x00;
  std::copy(kSha256DigestInfo.begin(), kSha256DigestInfo.end(), em.end() - static_cast<std::ptrdiff_t>(tail));
  std::copy(sha256_digest.begin(), sha256_digest.end(), em.end() - static_cast<std::ptrdiff_t>(sha256_digest.size()));
  std::reverse(em.begin(), em.end());
  auto signature = ds.sign(em, data, key_id);
  if (signature) std::reverse(signature->begin(), signature->end());
  return signature;
}

}  // namespace espfab::emulator
