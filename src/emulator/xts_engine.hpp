// The chip's flash-encryption engine (docs/efuse-and-security-facts.md §10) as the device uses
// it: XTS-AES over 128-byte units, tweak = the unit's flash address, each unit byte-reversed
// around the cipher. Unlike the host-side security::FlashEncryptionKey it takes any key material
// the eFuses hold: the hardware checks nothing, so a key whose two halves are equal (esptool's
// all-zero test key) or the all-zero key of a chip without an XTS key block is used as it is.
// Built on AES-ECB, so OpenSSL's refusal of equal XTS halves does not apply.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "emulator/efuse_controller.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::emulator {

class XtsEngine {
 public:
  static constexpr std::uint32_t kGranule = 16;  // address and length granularity of the engine

  // Data key || tweak key in key-file order: 32 bytes (XTS-AES-128) or 64 bytes (XTS-AES-256).
  // Any other size is a bug of the caller (InternalError).
  explicit XtsEngine(SecretBytes key);
  // The key of a chip without a usable XTS key block: all zeros (XTS-AES-128).
  static XtsEngine zero_key();

  // `data` as it sits in flash at `address`, in place. Address and size must be multiples of 16
  // (false, nothing changed, otherwise).
  bool encrypt(std::uint32_t address, std::span<std::uint8_t> data) const;
  bool decrypt(std::uint32_t address, std::span<std::uint8_t> data) const;
  // The key in key-file order (tests that look for it in what the station wrote).
  const SecretBytes& key_file_bytes() const noexcept { return key_; }

 private:
  bool process(std::uint32_t address, std::span<std::uint8_t> data, bool encrypt) const;
  SecretBytes key_;
};

// The key the engine takes from eFuse: the XTS_AES_128_KEY block, else the XTS_AES_256_KEY_1/_2
// pair (read-protection hides blocks from software, not from the engine), each block reversed into
// key-file order (docs/efuse-and-security-facts.md §6); none when no block has an XTS purpose.
std::optional<XtsEngine> engine_flash_key(const EfuseController& efuse);

}  // namespace espfab::emulator
