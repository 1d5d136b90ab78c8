#include "util/xts_aes.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace espfab::crypto {
namespace {

TEST(XtsAes, TweakIsLittleEndianUnitNumber) {
  const XtsTweak tweak = xts_tweak_le(0x0102030405ull);
  EXPECT_EQ(to_hex(tweak), "05040302010000000000000000000000");
}

// IEEE P1619/D16 annex B, vector 2: key1 = 11..11, key2 = 22..22, data unit 0x3333333333.
TEST(XtsAes, Ieee1619Vector2) {
  Bytes key = from_hex("11111111111111111111111111111111");
  const Bytes key2 = from_hex("22222222222222222222222222222222");
  key.insert(key.end(), key2.begin(), key2.end());
  const Bytes plain(32, 0x44);
  Bytes out(32);
  XtsAes(key, XtsAes::Direction::Encrypt).process(xts_tweak_le(0x3333333333ull), plain, out);
  EXPECT_EQ(to_hex(out), "c454185e6a16936e39334038acef838bfb186fff7480adc4289382ecd6d394f0");
  XtsAes(key, XtsAes::Direction::Decrypt).process(xts_tweak_le(0x3333333333ull), Bytes(out), out);
  EXPECT_EQ(out, plain);
}

TEST(XtsAes, Aes256RoundTripAndTweakMatters) {
  Bytes key(64);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  const Bytes plain(32, 0xA5);
  Bytes a(32);
  Bytes b(32);
  XtsAes enc(key, XtsAes::Direction::Encrypt);
  enc.process(xts_tweak_le(64), plain, a);
  enc.process(xts_tweak_le(96), plain, b);
  EXPECT_NE(a, b);
  Bytes back(32);
  XtsAes(key, XtsAes::Direction::Decrypt).process(xts_tweak_le(64), a, back);
  EXPECT_EQ(back, plain);
}

TEST(XtsAes, RejectsBadKeysAndUnits) {
  EXPECT_THROW(XtsAes(Bytes(48), XtsAes::Direction::Encrypt), CryptoError);
  EXPECT_THROW(XtsAes(Bytes(64, 0x11), XtsAes::Direction::Encrypt), CryptoError);  // equal halves
  Bytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  XtsAes xts(key, XtsAes::Direction::Encrypt);
  Bytes out(8);
  EXPECT_THROW(xts.process(xts_tweak_le(0), Bytes(8), out), InternalError);
}

}  // namespace
}  // namespace espfab::crypto
