// The eFuse burn plan: a pure function from (the profile's security section, the device's current
// eFuses, the images that will be flashed) to ordered batches of eFuse writes, in Espressif's order
// for ESP32-S3 (flash encryption first, then Secure Boot V2, write protection, and the final lock
// only after the boot is proven). Every rule that protects a device from bricking is a refusal
// (PolicyRefusalError, code "security.plan.<rule>") naming the rule; see docs/security.md.
// Key material is never in a plan: a key block write names its source (the device's flash
// encryption key, generated in memory by the executor) or carries a public digest.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"
#include "security/key_purpose.hpp"
#include "security/sbv2_key.hpp"

namespace espfab::security {

enum class KeySource {
  DeviceFlashEncryptionKey,  // half `key_half` of the device key, reversed (burn_key byte order)
  PublicDigest,              // `digest`, as is
  SecretKey,                 // secret key number `key_half` given to the executor, as is (HMAC, DS)
};

struct KeyBlockWrite {
  unsigned key_block = 0;  // 0..5 = BLOCK_KEY0..5 (eFuse block 4..9)
  KeyPurpose purpose = KeyPurpose::User;
  KeySource source = KeySource::PublicDigest;
  unsigned key_half = 0;
  Bytes digest;
  bool read_protect = false;
  bool write_protect = true;
};

// What the station profile says about security (the station module reads it from the profile file).
struct SecurityProfile {
  // Flash encryption: off when unset.
  std::optional<XtsKeyLength> flash_encryption;
  bool flash_encryption_release = true;                // SPI_BOOT_CRYPT_CNT = 7 (else 1: development)
  std::optional<unsigned> flash_encryption_key_block;  // 0..5 = BLOCK_KEYn; unset = first free
  bool dis_download_icache = true;
  bool dis_download_dcache = true;
  bool dis_download_manual_encrypt = true;
  bool dis_direct_boot = true;

  // Secure Boot V2: off when no digests; 1 to 3 public key digests for slots 0..2.
  std::vector<KeyDigest> secure_boot_digests;
  bool secure_boot_aggressive_revoke = false;
  bool revoke_unused_digest_slots = true;
  bool write_protect_rd_dis = true;  // SBv2 B-i; only with secure boot

  // JTAG, USB, download mode.
  bool disable_jtag = true;  // DIS_PAD_JTAG, DIS_USB_JTAG, SOFT_DIS_JTAG = 7
  bool dis_usb_serial_jtag = false;
  bool usb_is_only_port = false;              // the product has no UART: never cut USB or download
  bool write_protect_security_group = false;  // write_protect DIS_ICACHE: WR_DIS bit 2 group
  bool allow_secure_version_freeze = false;   // permits write-protecting the WR_DIS bit 18 group
  enum class FinalLock { None, SecureDownload, DisableDownload };
  FinalLock final_lock = FinalLock::SecureDownload;

  // Further fields to burn (name or alias, value) and to write-protect, as `espefuse burn_efuse`
  // and `write_protect_efuse` would.
  std::vector<std::pair<std::string, std::uint64_t>> extra_fields;
  std::vector<std::string> extra_write_protect;
  // The identity's DS key (station profile [identity] container = "ds"): a per-device random
  // 32-byte HMAC key (KeySource::SecretKey number 0) into this block with purpose
  // HMAC_DOWN_DIGITAL_SIGNATURE, read- and write-protected, in the batch "ds key" (the first).
  std::optional<unsigned> ds_hmac_key_block;  // 0..5 = BLOCK_KEYn; unset = no DS key

  // Key blocks to burn as asked (`espfab efuse burn-key` / `burn-key-digest`), with the same
  // checks as the planned ones.
  std::vector<KeyBlockWrite> extra_keys;
};

// An image that will be flashed and that Secure Boot must accept (image + signature sector).
struct PlanImage {
  std::string name;  // "bootloader", "app"
  ByteView signed_image;
};

struct FieldWrite {
  std::string field;  // Espressif's name (WR_DIS and RD_DIS carry protection bits)
  std::uint64_t value = 0;
  std::string why;
};

struct BurnBatch {
  std::string name;
  std::vector<KeyBlockWrite> key_blocks;  // each is one RS block, programmed before BLOCK0
  std::vector<FieldWrite> fields;         // one BLOCK0 (or RS block) program cycle per block
  bool after_boot_verified = false;       // final lock: only once verify-boot succeeded
};

struct BurnPlan {
  std::vector<BurnBatch> batches;    // in order; empty batches are left out
  std::vector<std::string> skipped;  // steps found already done on the device ("SECURE_BOOT_EN already 1")
  bool empty() const { return batches.empty(); }
};

// Throws PolicyRefusalError ("security.plan.<rule>") for the first rule the plan would break, and
// BadInputError for a malformed profile.
BurnPlan plan_burn(const SecurityProfile& profile, const EfuseImage& current, std::span<const PlanImage> images);

}  // namespace espfab::security
