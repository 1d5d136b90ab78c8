// The device's XTS engine against the host-side flash encryption (security/flash_encryption.hpp,
// itself checked against espsecure's vectors) and IEEE P1619's first XTS-AES-128 vector, whose
// two keys are both zero: the key the host side refuses and the chip uses anyway.
#include "emulator/xts_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "security/flash_encryption.hpp"

namespace espfab::emulator {
namespace {

Bytes random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

class XtsEngineMatchesHost : public ::testing::TestWithParam<std::size_t> {};

TEST_P(XtsEngineMatchesHost, OnAnySixteenByteAlignedRange) {
  const Bytes key_file = random_bytes(GetParam(), 11);
  const security::FlashEncryptionKey host_key{SecretBytes(Bytes(key_file))};
  const XtsEngine engine{SecretBytes(Bytes(key_file))};
  const Bytes plain = random_bytes(0x1F0, 12);
  for (const std::uint32_t address : {0x0u, 0x10010u, 0x8070u}) {
    Bytes data = plain;
    ASSERT_TRUE(engine.encrypt(address, data));
    EXPECT_EQ(data, security::encrypt_flash_data(host_key, address, plain)) << std::hex << address;
    ASSERT_TRUE(engine.decrypt(address, data));
    EXPECT_EQ(data, plain);
  }
}

INSTANTIATE_TEST_SUITE_P(KeyLengths, XtsEngineMatchesHost, ::testing::Values(32u, 64u));

TEST(XtsEngine, UsesAKeyWithEqualHalvesLikeTheChip) {
  // IEEE P1619/D16 Annex B vector 1: Key1 = Key2 = 0, data unit 0, 32 zero bytes of plaintext.
  const Bytes expected = from_hex("917cf69ebd68b2ec9b9fe9a3eadda692cd43d2f59598ed858c02c2652fbf922e");
  const XtsEngine engine = XtsEngine::zero_key();
  // XTS blocks 0 and 1 of the unit at flash address 0 are, after the unit's byte reversal, the
  // unit's last 32 bytes reversed.
  Bytes tail(32, 0);
  ASSERT_TRUE(engine.encrypt(0x60, tail));
  std::reverse(tail.begin(), tail.end());
  EXPECT_EQ(tail, expected);
  std::reverse(tail.begin(), tail.end());
  ASSERT_TRUE(engine.decrypt(0x60, tail));
  EXPECT_EQ(tail, Bytes(32, 0));
}

TEST(XtsEngine, RefusesWhatTheEngineCannotAddress) {
  const XtsEngine engine = XtsEngine::zero_key();
  Bytes data(32, 0x11);
  EXPECT_FALSE(engine.encrypt(0x8, data));
  Bytes odd(20, 0x11);
  EXPECT_FALSE(engine.encrypt(0x10, odd));
  EXPECT_EQ(odd, Bytes(20, 0x11));
}

}  // namespace
}  // namespace espfab::emulator
