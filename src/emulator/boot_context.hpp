// What the boot code (ROM and 2nd stage) sees of the chip at reset: flash read through the MMU
// cache, XTS-AES-decrypted with the device key when SPI_BOOT_CRYPT_CNT has an odd number of bits
// set (spec esp32s3-boot-behaviour.md §1.4, checklist 2), the trusted Secure Boot V2 key digests
// (unrevoked SECURE_BOOT_DIGEST0..2 key blocks, §1.3), and the eFuse facts the boot log reports.
// Raw reads (download-mode READ_FLASH) never come through here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "emulator/efuse_controller.hpp"
#include "emulator/virtual_flash.hpp"
#include "security/flash_encryption.hpp"
#include "security/sbv2_key.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

// The key the XTS engine takes from eFuse: the XTS_AES_128_KEY block, else the XTS_AES_256_KEY_1/_2
// pair (read-protection hides blocks from software, not from the engine); none when no block has
// an XTS purpose.
std::optional<security::FlashEncryptionKey> engine_flash_key(const EfuseController& efuse);

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
  // when FE is on; no usable XTS key block then gives the engine's all-zero key).
  Bytes read(std::uint32_t offset, std::uint32_t length) const;

 private:
  const VirtualFlash& flash_;
  const EfuseController& efuse_;
  bool fe_on_ = false;
  bool sb_on_ = false;
  unsigned crypt_bits_ = 0;
  bool crypt_wp_ = false;
  std::optional<security::FlashEncryptionKey> key_;
  std::vector<security::KeyDigest> digests_;
};

}  // namespace espfab::emulator
