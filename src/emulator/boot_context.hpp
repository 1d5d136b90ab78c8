// What the boot code (ROM and 2nd stage) sees of the chip at reset: flash read through the MMU
// cache, XTS-AES-decrypted with the device key when SPI_BOOT_CRYPT_CNT has an odd number of bits
// set (docs/boot-behaviour.md §1.4, checklist 2), the trusted Secure Boot V2 key digests
// (unrevoked SECURE_BOOT_DIGEST0..2 key blocks, §1.3), and the eFuse facts the boot log reports.
// Raw reads (download-mode READ_FLASH) never come through here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "emulator/efuse_controller.hpp"
#include "emulator/virtual_flash.hpp"
#include "emulator/xts_engine.hpp"
#include "security/sbv2_key.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

class BootContext {
 public:
  BootContext(const VirtualFlash& flash, const EfuseController& efuse);

  std::uint32_t flash_size() const noexcept { return flash_.size(); }
  bool flash_encryption_enabled() const noexcept { return fe_on_; }
  bool secure_boot_enabled() const noexcept { return sb_on_; }
  // Number of bits set in SPI_BOOT_CRYPT_CNT and whether WR_DIS protects it.
  unsigned crypt_cnt_bits() const noexcept { return crypt_bits_; }
  bool crypt_cnt_write_protected() const noexcept { return crypt_wp_; }
  // The §5 release rule of esp_get_flash_encryption_mode.
  bool flash_encryption_release_mode() const noexcept;
  const std::vector<security::KeyDigest>& trusted_digests() const noexcept { return digests_; }

  // `length` bytes at `offset` as the cache shows them (clipped at the end of flash; decrypted
  // when FE is on with whatever key the eFuses hold, equal halves included; no usable XTS key
  // block gives the engine's all-zero key, so the ROM reads noise and stops at its header check).
  // Never throws on device data.
  Bytes read(std::uint32_t offset, std::uint32_t length) const;

 private:
  const VirtualFlash& flash_;
  const EfuseController& efuse_;
  bool fe_on_ = false;
  bool sb_on_ = false;
  unsigned crypt_bits_ = 0;
  bool crypt_wp_ = false;
  std::optional<XtsEngine> key_;
  std::vector<security::KeyDigest> digests_;
};

}  // namespace espfab::emulator
