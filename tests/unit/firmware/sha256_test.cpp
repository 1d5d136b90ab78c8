// The identity core's SHA-256 (firmware/components/espfab_identity/core/src/sha256.c): the
// FIPS 180-4 example vectors, and OpenSSL's digest on every length around the block boundaries.
#include "espfab_identity/sha256.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <random>
#include <string>
#include <vector>

namespace espfab::test {
namespace {

std::string hex(const std::uint8_t* digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < ESPFAB_SHA256_SIZE; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string sha256_hex(const std::string& text) {
  std::uint8_t digest[ESPFAB_SHA256_SIZE];
  espfab_sha256(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), digest);
  return hex(digest);
}

TEST(Sha256, StandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, AgreesWithOpenSslOnEveryLengthAndChunking) {
  std::mt19937 rng(256);
  std::vector<std::uint8_t> data(300);
  for (auto& byte : data) byte = static_cast<std::uint8_t>(rng());
  for (std::size_t len = 0; len <= data.size(); ++len) {
    std::uint8_t expected[SHA256_DIGEST_LENGTH];
    SHA256(data.data(), len, expected);
    espfab_sha256_ctx ctx;
    espfab_sha256_init(&ctx);
    for (std::size_t at = 0; at < len;) {  // uneven pieces
      const std::size_t piece = std::min<std::size_t>(len - at, 1 + rng() % 70);
      espfab_sha256_update(&ctx, data.data() + at, piece);
      at += piece;
    }
    std::uint8_t got[ESPFAB_SHA256_SIZE];
    espfab_sha256_final(&ctx, got);
    ASSERT_EQ(hex(got), hex(expected)) << len;
  }
}

}  // namespace
}  // namespace espfab::test
