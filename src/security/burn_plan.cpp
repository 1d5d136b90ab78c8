#include "security/burn_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "chip/esp32s3_efuse_fields.hpp"
#include "security/secure_boot_v2.hpp"
#include "util/error.hpp"

namespace espfab::security {

namespace efuse = chip::esp32s3_efuse;

namespace {

constexpr unsigned kRdDisWrDisBit = 0;
constexpr unsigned kSecurityGroupWrDisBit = 2;  // DIS_ICACHE ... DIS_USB_SERIAL_JTAG

[[noreturn]] void refuse(const std::string& rule, std::string message, std::string hint) {
  throw PolicyRefusalError("security.plan." + rule, std::move(message), std::move(hint));
}

std::string key_block_name(unsigned key_block) { return fmt::format("BLOCK_KEY{}", key_block); }

class Planner {
 public:
  Planner(const SecurityProfile& profile, const EfuseImage& current) : profile_(profile), state_(current) {}

  BurnPlan run(std::span<const PlanImage> images) {
    validate_profile();
    plan_ds_key();
    plan_extra_keys();
    plan_flash_encryption_key();
    plan_flash_encryption_enable();
    plan_secure_boot_digests();
    plan_secure_boot_enable(images);
    plan_extra_fields();
    plan_usb();
    plan_write_protection();
    plan_final_lock();
    check_combinations();
    return std::move(plan_);
  }

 private:
  static const efuse::FieldInfo& info(std::string_view name) {
    const auto* field = efuse::find_field(name);
    if (field == nullptr || field->calculated()) {
      refuse("unknown_field", fmt::format("'{}' is not a known ESP32-S3 eFuse field", name),
             "use Espressif's field names (espfab efuse summary lists them); the planner burns nothing else");
    }
    return *field;
  }

  std::uint64_t get(std::string_view name) const { return state_.field_uint(info(name)); }

  BurnBatch& batch(const std::string& name) {
    if (plan_.batches.empty() || plan_.batches.back().name != name) {
      BurnBatch fresh;
      fresh.name = name;
      plan_.batches.push_back(std::move(fresh));
    }
    return plan_.batches.back();
  }

  void set_bits(BurnBatch& target, const efuse::FieldInfo& field, std::uint64_t value, const std::string& why) {
    const std::uint64_t current = state_.field_uint(field);
    if ((current | value) == current) {
      plan_.skipped.push_back(fmt::format("{}: already {} ({})", field.name, current, why));
      return;
    }
    const bool protection_field = field.name == "WR_DIS" || field.name == "RD_DIS";
    if (!protection_field && (current & ~value) != 0) {
      refuse("cannot_clear_bits",
             fmt::format("{} is {} on the device; {} would need bits cleared (eFuse bits only go 0 -> 1)", field.name,
                         current, value),
             "choose a value that keeps every bit already burned, or leave the field alone");
    }
    if (state_.write_protected(field.write_disable_bit)) {
      refuse("write_protected",
             fmt::format("{} is write-protected (WR_DIS bit {}) and cannot change from {} to {}", field.name,
                         field.write_disable_bit, current, value | current),
             "this device cannot take that setting; reject it or change the profile");
    }
    if (field.block != 0) {
      const auto& words = state_.block(field.block);
      if (std::any_of(words.begin(), words.end(), [](std::uint32_t w) { return w != 0; }) &&
          !block_in_batch(target, field.block)) {
        refuse("rs_reburn",
               fmt::format("{} lives in {}, which already holds data; its Reed-Solomon code allows one burn only",
                           field.name, efuse::kBlocks[field.block].name),
               "burn every field of an RS-coded block in a single batch");
      }
      rs_blocks_in_batch_.emplace_back(target.name, field.block);
    }
    apply_bits(field, value);
    auto existing = std::find_if(target.fields.begin(), target.fields.end(),
                                 [&](const FieldWrite& w) { return w.field == field.name; });
    if (existing != target.fields.end()) {
      existing->value |= value;
      existing->why += "; " + why;
    } else {
      target.fields.push_back({std::string(field.name), value, why});
    }
  }

  bool block_in_batch(const BurnBatch& target, unsigned block) const {
    return std::any_of(rs_blocks_in_batch_.begin(), rs_blocks_in_batch_.end(),
                       [&](const auto& entry) { return entry.first == target.name && entry.second == block; });
  }

  void apply_bits(const efuse::FieldInfo& field, std::uint64_t value) {
    auto& words = state_.block(field.block);
    const auto first = static_cast<unsigned>(field.word * 32 + field.pos);
    for (unsigned i = 0; i < field.bit_len && i < 64; ++i) {
      if ((value >> i) & 1u) words[(first + i) / 32] |= 1u << ((first + i) % 32);
    }
  }

  void set_field(BurnBatch& target, std::string_view name, std::uint64_t value, const std::string& why) {
    set_bits(target, info(name), value, why);
  }

  void write_protect(BurnBatch& target, unsigned wr_dis_bit, const std::string& why) {
    if (wr_dis_bit == 18 && !profile_.allow_secure_version_freeze) {
      refuse("secure_version_freeze",
             "write-protecting WR_DIS bit 18 also freezes SECURE_VERSION (anti-rollback) and the download-mode "
             "switches",
             "set allow_secure_version_freeze in the profile's security section if that is intended");
    }
    set_field(target, "WR_DIS", std::uint64_t{1} << wr_dis_bit, why);
  }

  unsigned purpose_of(unsigned key_block) const {
    return static_cast<unsigned>(get(fmt::format("KEY_PURPOSE_{}", key_block)));
  }

  bool key_block_free(unsigned key_block) const {
    const unsigned block = efuse::kBlockKey0 + key_block;
    const auto& words = state_.block(block);
    return purpose_of(key_block) == static_cast<unsigned>(KeyPurpose::User) &&
           std::all_of(words.begin(), words.end(), [](std::uint32_t w) { return w == 0; }) &&
           !state_.write_protected(static_cast<int>(*efuse::kBlocks[block].write_disable_bit)) &&
           !state_.read_protected(static_cast<int>(*efuse::kBlocks[block].read_disable_bit)) && !claimed_[key_block];
  }

  std::optional<unsigned> block_with_purpose(KeyPurpose purpose) const {
    for (unsigned k = 0; k < efuse::kKeyBlockCount; ++k)
      if (purpose_of(k) == static_cast<unsigned>(purpose)) return k;
    return std::nullopt;
  }

  void burn_key_block(BurnBatch& target, KeyBlockWrite write, const std::string& why) {
    const unsigned block = efuse::kBlockKey0 + write.key_block;
    const auto info_purpose = key_purpose_info(static_cast<std::uint32_t>(write.purpose));
    if (write.key_block == 5 && is_xts_purpose(write.purpose)) {
      refuse("xts_key5", fmt::format("KEY_PURPOSE_5 can not have {} key due to a hardware bug", info_purpose->name),
             "put XTS keys into BLOCK_KEY0..BLOCK_KEY4");
    }
    if (!key_block_free(write.key_block)) {
      refuse("key_block_taken",
             fmt::format("{} already holds purpose {}{}", key_block_name(write.key_block),
                         key_purpose_name(purpose_of(write.key_block)),
                         purpose_of(write.key_block) == 0 ? " with data or protection bits" : ""),
             "pick a free key block (purpose USER, all zero, unprotected) or let the planner choose");
    }
    claimed_[write.key_block] = true;
    // The block's data: the RS block is burned once, in this batch.
    rs_blocks_in_batch_.emplace_back(target.name, block);
    if (write.source == KeySource::PublicDigest) {
      for (unsigned w = 0; w < efuse::kPgmDataWords; ++w)
        state_.block(block)[w] = load_le32(write.digest, std::size_t{4} * w);
    } else {
      state_.block(block)[0] = 1;  // unknown here, non-zero: the block is taken
    }
    set_field(target, fmt::format("KEY_PURPOSE_{}", write.key_block), static_cast<std::uint64_t>(write.purpose), why);
    write_protect(target, static_cast<unsigned>(8 + write.key_block), "KEY_PURPOSE_" + std::to_string(write.key_block));
    if (write.write_protect)
      write_protect(target, *efuse::kBlocks[block].write_disable_bit, key_block_name(write.key_block));
    if (write.read_protect) {
      if (state_.write_protected(kRdDisWrDisBit)) {
        refuse("sb_before_fe",
               fmt::format("RD_DIS is write-protected (Secure Boot locks it), so the key in {} could not be "
                           "read-protected",
                           key_block_name(write.key_block)),
               "on ESP32-S3 secret keys (flash encryption, DS) come before Secure Boot; this device cannot get a "
               "protected key");
      }
      set_field(target, "RD_DIS", std::uint64_t{1} << *efuse::kBlocks[block].read_disable_bit,
                key_block_name(write.key_block));
    }
    target.key_blocks.push_back(std::move(write));
  }

  void validate_profile() const {
    if (profile_.secure_boot_digests.size() > 3) {
      throw BadInputError(
          "security.plan.too_many_digests",
          fmt::format("{} Secure Boot digests given; ESP32-S3 has 3 slots", profile_.secure_boot_digests.size()));
    }
    if (profile_.flash_encryption_key_block && *profile_.flash_encryption_key_block >= efuse::kKeyBlockCount) {
      throw BadInputError("security.plan.bad_key_block", "a key block is BLOCK_KEY0..BLOCK_KEY5");
    }
    if (profile_.ds_hmac_key_block && *profile_.ds_hmac_key_block >= efuse::kKeyBlockCount) {
      throw BadInputError("security.plan.bad_key_block", "the DS key block is BLOCK_KEY0..BLOCK_KEY5");
    }
  }

  // The identity's DS key first, so the planner's own choices (the flash-encryption key, the
  // Secure Boot digests) go around the block the profile names. A block already holding an
  // HMAC_DOWN_DIGITAL_SIGNATURE key, read-protected, is this device's key from an earlier run
  // (the executor counts it as done); any other content is a refusal.
  void plan_ds_key() {
    if (!profile_.ds_hmac_key_block) return;
    const unsigned key_block = *profile_.ds_hmac_key_block;
    const unsigned block = efuse::kBlockKey0 + key_block;
    if (purpose_of(key_block) == static_cast<unsigned>(KeyPurpose::HmacDownDigitalSignature) &&
        state_.read_protected(static_cast<int>(*efuse::kBlocks[block].read_disable_bit))) {
      plan_.skipped.push_back(fmt::format("DS key: {} already holds HMAC_DOWN_DIGITAL_SIGNATURE, read-protected",
                                          key_block_name(key_block)));
      claimed_[key_block] = true;
      return;
    }
    burn_key_block(batch("ds key"),
                   {.key_block = key_block,
                    .purpose = KeyPurpose::HmacDownDigitalSignature,
                    .source = KeySource::SecretKey,
                    .key_half = 0,
                    .digest = {},
                    .read_protect = true,
                    .write_protect = true},
                   "DS key (identity)");
  }

  void plan_flash_encryption_key() {
    if (!profile_.flash_encryption) return;
    const bool aes128 = *profile_.flash_encryption == XtsKeyLength::Aes128;
    const auto existing = block_with_purpose(aes128 ? KeyPurpose::XtsAes128Key : KeyPurpose::XtsAes256Key1);
    if (existing) {
      plan_.skipped.push_back(fmt::format("flash encryption key: {} already holds {}", key_block_name(*existing),
                                          aes128 ? "XTS_AES_128_KEY" : "XTS_AES_256_KEY_1"));
      fe_key_present_ = true;
      return;
    }
    if (get("SECURE_BOOT_EN") != 0 || state_.write_protected(kRdDisWrDisBit)) {
      refuse("sb_before_fe",
             "Secure Boot is already enabled (RD_DIS write-protected) but no flash encryption key is burned; the key "
             "could no longer be read-protected",
             "on ESP32-S3 flash encryption comes before Secure Boot; reject this device");
    }
    auto& target = batch("flash-encryption key");
    const unsigned halves = aes128 ? 1 : 2;
    std::optional<unsigned> next = profile_.flash_encryption_key_block;
    for (unsigned half = 0; half < halves; ++half) {
      unsigned key_block = 0;
      if (next && half == 0) {
        key_block = *next;
      } else {
        std::optional<unsigned> found;
        for (unsigned k = half == 0 ? 0 : key_blocks_used_.back() + 1; k < efuse::kKeyBlockCount - 1 && !found; ++k)
          if (key_block_free(k)) found = k;
        if (!found) {
          refuse(halves == 2 && half == 1 ? "xts_key5" : "no_free_key_block",
                 "no free key block in BLOCK_KEY0..BLOCK_KEY4 for the flash encryption key",
                 "XTS keys may not use BLOCK_KEY5; this device has no room for the key");
        }
        key_block = *found;
      }
      key_blocks_used_.push_back(key_block);
      const KeyPurpose purpose = aes128      ? KeyPurpose::XtsAes128Key
                                 : half == 0 ? KeyPurpose::XtsAes256Key1
                                             : KeyPurpose::XtsAes256Key2;
      burn_key_block(target,
                     {.key_block = key_block,
                      .purpose = purpose,
                      .source = KeySource::DeviceFlashEncryptionKey,
                      .key_half = half,
                      .digest = {},
                      .read_protect = true,
                      .write_protect = true},
                     "flash encryption key");
    }
    fe_key_present_ = true;
  }

  void plan_flash_encryption_enable() {
    if (!profile_.flash_encryption) return;
    auto& target = batch("flash-encryption enable");
    set_field(target, "SPI_BOOT_CRYPT_CNT", profile_.flash_encryption_release ? 7 : 1, "flash encryption on");
    if (profile_.dis_download_icache) set_field(target, "DIS_DOWNLOAD_ICACHE", 1, "flash encryption");
    if (profile_.dis_download_dcache) set_field(target, "DIS_DOWNLOAD_DCACHE", 1, "flash encryption");
    if (profile_.dis_download_manual_encrypt) set_field(target, "DIS_DOWNLOAD_MANUAL_ENCRYPT", 1, "flash encryption");
    if (profile_.dis_direct_boot) set_field(target, "DIS_DIRECT_BOOT", 1, "flash encryption");
    if (profile_.disable_jtag) {
      set_field(target, "DIS_PAD_JTAG", 1, "JTAG off");
      set_field(target, "DIS_USB_JTAG", 1, "JTAG off");
    }
    drop_if_empty();
  }

  void plan_secure_boot_digests() {
    if (profile_.secure_boot_digests.empty()) return;
    auto& target = batch("secure-boot digests");
    for (std::size_t slot = 0; slot < profile_.secure_boot_digests.size(); ++slot) {
      const auto& digest = profile_.secure_boot_digests[slot];
      const auto purpose = static_cast<KeyPurpose>(static_cast<unsigned>(KeyPurpose::SecureBootDigest0) + slot);
      if (const auto existing = block_with_purpose(purpose)) {
        const Bytes burned = state_.block_bytes(efuse::kBlockKey0 + *existing);
        if (!std::equal(digest.begin(), digest.end(), burned.begin())) {
          refuse("key_block_taken",
                 fmt::format("SECURE_BOOT_DIGEST{} is already burned in {} with a different digest", slot,
                             key_block_name(*existing)),
                 "the profile's signing keys do not match this device");
        }
        plan_.skipped.push_back(fmt::format("SECURE_BOOT_DIGEST{}: already in {}", slot, key_block_name(*existing)));
        continue;
      }
      std::optional<unsigned> found;
      for (unsigned k = 0; k < efuse::kKeyBlockCount && !found; ++k)
        if (key_block_free(k)) found = k;
      if (!found) {
        refuse("no_free_key_block", fmt::format("no free key block for SECURE_BOOT_DIGEST{}", slot),
               "this device has no room for the Secure Boot digest");
      }
      burn_key_block(target,
                     {.key_block = *found,
                      .purpose = purpose,
                      .source = KeySource::PublicDigest,
                      .key_half = 0,
                      .digest = Bytes(digest.begin(), digest.end()),
                      .read_protect = false,
                      .write_protect = true},
                     fmt::format("Secure Boot V2 digest {}", slot));
    }
    drop_if_empty();
  }

  std::vector<KeyDigest> trusted_digests() const {
    std::vector<KeyDigest> trusted;
    for (unsigned slot = 0; slot < 3; ++slot) {
      const auto purpose = static_cast<KeyPurpose>(static_cast<unsigned>(KeyPurpose::SecureBootDigest0) + slot);
      const auto block = block_with_purpose(purpose);
      if (!block || get(fmt::format("SECURE_BOOT_KEY_REVOKE{}", slot)) != 0) continue;
      const Bytes bytes = state_.block_bytes(efuse::kBlockKey0 + *block);
      KeyDigest digest{};
      std::copy_n(bytes.begin(), digest.size(), digest.begin());
      trusted.push_back(digest);
    }
    return trusted;
  }

  void plan_secure_boot_enable(std::span<const PlanImage> images) {
    if (profile_.secure_boot_digests.empty()) return;
    if (get("SECURE_BOOT_EN") == 0) {
      const auto trusted = trusted_digests();
      if (images.empty()) {
        refuse("unsigned_images", "SECURE_BOOT_EN needs the bootloader and app that will be flashed, to check them",
               "give the signed bootloader and app images to the planner");
      }
      for (const auto& image : images) {
        if (!verify_with_digests(image.signed_image, trusted).verified) {
          refuse("unsigned_images",
                 fmt::format("{} is not signed by a key whose digest is burned or planned; SECURE_BOOT_EN would "
                             "leave the device unable to boot",
                             image.name),
                 "sign it with `espfab secure-boot sign` using a key from the profile");
        }
      }
    }
    auto& target = batch("secure-boot enable");
    set_field(target, "SECURE_BOOT_EN", 1, "Secure Boot V2");
    if (profile_.disable_jtag) set_field(target, "SOFT_DIS_JTAG", 7, "JTAG off");
    if (profile_.secure_boot_aggressive_revoke) set_field(target, "SECURE_BOOT_AGGRESSIVE_REVOKE", 1, "profile");
    if (profile_.revoke_unused_digest_slots) {
      for (unsigned slot = 0; slot < 3; ++slot) {
        const auto purpose = static_cast<KeyPurpose>(static_cast<unsigned>(KeyPurpose::SecureBootDigest0) + slot);
        if (block_with_purpose(purpose)) continue;
        set_field(target, fmt::format("SECURE_BOOT_KEY_REVOKE{}", slot), 1, "unused digest slot");
      }
    }
    drop_if_empty();
  }

  void plan_extra_keys() {
    for (const auto& write : profile_.extra_keys) {
      if (write.key_block >= efuse::kKeyBlockCount) {
        throw BadInputError("security.plan.bad_key_block", "a key block is BLOCK_KEY0..BLOCK_KEY5");
      }
      if (is_xts_purpose(write.purpose)) fe_key_present_ = true;
      burn_key_block(batch("key blocks"), write, "requested");
    }
  }

  void plan_extra_fields() {
    if (profile_.extra_fields.empty()) return;
    auto& target = batch("profile fields");
    for (const auto& [name, value] : profile_.extra_fields) {
      const auto& field = info(name);
      if (field.bit_len < 64 && value >> field.bit_len != 0) {
        throw BadInputError("security.plan.value_too_wide",
                            fmt::format("{} has {} bits; {} does not fit", field.name, field.bit_len, value));
      }
      set_bits(target, field, value, "profile");
    }
    drop_if_empty();
  }

  void plan_usb() {
    if (!profile_.dis_usb_serial_jtag) return;
    set_field(batch("usb"), "DIS_USB_SERIAL_JTAG", 1, "profile: USB Serial/JTAG off");
    drop_if_empty();
  }

  void plan_write_protection() {
    auto& target = batch("write protection");
    if (!profile_.secure_boot_digests.empty() && profile_.write_protect_rd_dis) {
      write_protect(target, kRdDisWrDisBit, "RD_DIS (Secure Boot V2)");
    }
    if (profile_.write_protect_security_group) write_protect(target, kSecurityGroupWrDisBit, "security group");
    for (const auto& name : profile_.extra_write_protect) {
      const auto& field = info(name);
      if (field.write_disable_bit < 0) {
        refuse("not_write_protectable", fmt::format("{} cannot be write-protected", field.name),
               "remove it from the profile's write-protect list");
      }
      write_protect(target, static_cast<unsigned>(field.write_disable_bit), std::string(field.name));
    }
    drop_if_empty();
  }

  void plan_final_lock() {
    using Lock = SecurityProfile::FinalLock;
    if (profile_.final_lock == Lock::None) return;
    auto& target = batch("final lock");
    target.after_boot_verified = true;
    if (profile_.final_lock == Lock::SecureDownload) {
      set_field(target, "ENABLE_SECURITY_DOWNLOAD", 1, "secure download mode");
    } else {
      set_field(target, "DIS_DOWNLOAD_MODE", 1, "download mode off");
    }
    drop_if_empty();
  }

  void check_combinations() {
    const bool usb_jtag = get("DIS_USB_JTAG") != 0;
    const bool usb_device = get("DIS_USB_SERIAL_JTAG") != 0;
    if (usb_jtag && usb_device) {
      refuse("usb_jtag_rom_bug",
             "DIS_USB_JTAG and DIS_USB_SERIAL_JTAG cannot be set together due to a bug in the ROM bootloader",
             "disable only one of them");
    }
    if (profile_.usb_is_only_port && (usb_device || get("DIS_DOWNLOAD_MODE") != 0)) {
      refuse("usb_only_port",
             fmt::format("the profile says USB is the product's only port, and the plan {}",
                         usb_device ? "disables the USB Serial/JTAG device (DIS_USB_SERIAL_JTAG)"
                                    : "disables download mode (DIS_DOWNLOAD_MODE)"),
             "keep USB and download mode (use ENABLE_SECURITY_DOWNLOAD as the final lock)");
    }
    if (get("SPI_BOOT_CRYPT_CNT") != 0 && !fe_key_present_ && !block_with_purpose(KeyPurpose::XtsAes128Key) &&
        !block_with_purpose(KeyPurpose::XtsAes256Key1)) {
      refuse("fe_without_key", "SPI_BOOT_CRYPT_CNT enables flash encryption but no XTS key is burned or planned",
             "set flash_encryption (XTS-AES-128 or -256) in the profile so the key is burned first");
    }
  }

  void drop_if_empty() {
    if (!plan_.batches.empty() && plan_.batches.back().fields.empty() && plan_.batches.back().key_blocks.empty()) {
      plan_.batches.pop_back();
    }
  }

  const SecurityProfile& profile_;
  EfuseImage state_;
  BurnPlan plan_;
  std::array<bool, efuse::kKeyBlockCount> claimed_{};
  std::vector<unsigned> key_blocks_used_;
  std::vector<std::pair<std::string, unsigned>> rs_blocks_in_batch_;  // (batch, RS block) burned there
  bool fe_key_present_ = false;
};

}  // namespace

BurnPlan plan_burn(const SecurityProfile& profile, const EfuseImage& current, std::span<const PlanImage> images) {
  return Planner(profile, current).run(images);
}

}  // namespace espfab::security
