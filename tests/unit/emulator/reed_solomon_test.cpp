#include "emulator/reed_solomon.hpp"

#include <gtest/gtest.h>

#include "util/bytes.hpp"

namespace espfab::emulator {
namespace {

Bytes check_of(const std::array<std::uint8_t, 32>& data) {
  const auto check = rs_check_bytes(data);
  return Bytes(check.begin(), check.end());
}

TEST(ReedSolomon, EsptoolSanityVectors) {  // esptool v4.8.1 test/test_modules.py (spec §3)
  std::array<std::uint8_t, 32> zeros{};
  EXPECT_EQ(to_hex(check_of(zeros)), "000000000000000000000000");
  std::array<std::uint8_t, 32> ones{};
  ones.fill(0xFF);
  EXPECT_EQ(to_hex(check_of(ones)), "13a36292597404257375e0aa");
}

TEST(ReedSolomon, MatchesCheckWordsEspefuseWroteForTheXtsKeyBlock) {
  // step02_burn_key_xts128.pgm_writes.json: PGM_DATA0..7 and CHECK_VALUE0..2 of BLOCK_KEY0.
  const std::uint32_t pgm[8] = {0xb722d575, 0xc13c1672, 0xf8a99968, 0x54f728e8,
                                0x3931fd48, 0x4325c073, 0xa66be5b0, 0xa90d54ae};
  std::array<std::uint8_t, 32> data{};
  for (std::size_t i = 0; i < 8; ++i) store_le32(data, i * 4, pgm[i]);
  const auto check = rs_check_bytes(data);
  EXPECT_EQ(load_le32(check, 0), 0xdf62ba67u);
  EXPECT_EQ(load_le32(check, 4), 0xbe1cb2f7u);
  EXPECT_EQ(load_le32(check, 8), 0xa7a26625u);
}

}  // namespace
}  // namespace espfab::emulator
