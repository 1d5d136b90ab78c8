// Burning eFuse key blocks of an EfuseController through its registers, as a host does (tests of
// the peripherals that use key blocks).
#pragma once

#include <array>
#include <cstdint>

#include "chip/esp32s3_efuse.hpp"
#include "emulator/efuse_controller.hpp"
#include "security/efuse_reed_solomon.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator::test_burn {

namespace efuse = chip::esp32s3_efuse;

// One program cycle of `block` with `words` (+ RS check words for blocks 1..10), then a read.
inline void burn_block(EfuseController& controller, unsigned block, const std::array<std::uint32_t, 8>& words) {
  for (unsigned w = 0; w < 8; ++w) controller.write_register(efuse::kBase + 4 * w, words[w]);
  if (block != 0) {
    Bytes bytes(32);
    for (std::size_t i = 0; i < 32; ++i) bytes[i] = static_cast<std::uint8_t>(words[i / 4] >> (8 * (i % 4)));
    const auto check = security::rs_check_words(bytes);
    for (unsigned w = 0; w < 3; ++w) {
      controller.write_register(efuse::kBase + efuse::EFUSE_CHECK_VALUE0_REG + 4 * w, check[w]);
    }
  }
  controller.write_register(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kWriteOpCode);
  controller.write_register(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kPgmCmd | (block << efuse::kPgmBlockShift));
  controller.write_register(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kReadOpCode);
  controller.write_register(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kReadCmd);
}

// burn_key as espefuse does for an HMAC purpose: the key unreversed, the purpose, and (unless
// told otherwise) read protection of the block.
inline void burn_key(EfuseController& controller, unsigned key_id, ByteView key, efuse::KeyPurpose purpose,
                     bool read_protect = true) {
  std::array<std::uint32_t, 8> words{};
  for (std::size_t i = 0; i < 32; ++i) words[i / 4] |= std::uint32_t{key[i]} << (8 * (i % 4));
  burn_block(controller, efuse::kBlockKey0 + key_id, words);
  std::array<std::uint32_t, 8> block0{};
  const auto field = efuse::kKeyPurposeFields[key_id];
  block0[field.word] |= static_cast<std::uint32_t>(purpose) << field.shift;
  if (read_protect) block0[efuse::RD_DIS.word] |= 1u << (efuse::RD_DIS.shift + key_id);
  burn_block(controller, 0, block0);
}

}  // namespace espfab::emulator::test_burn
