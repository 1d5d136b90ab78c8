// The burn planner: Espressif's order for a full lock-down, idempotence on the vectors' chain, and
// one test per refusal rule (each names its rule in the error code).
#include "security/burn_plan.hpp"

#include <gtest/gtest.h>

#include <string>

#include "chip/esp32s3_efuse_fields.hpp"
#include "support/test_paths.hpp"
#include "util/error.hpp"

namespace espfab::security {
namespace {

KeyDigest digest_of(const std::string& key) {
  const Bytes bytes = test::read_vector("secure_boot_v2/" + key + "_pubkey_digest.bin");
  KeyDigest digest{};
  std::copy_n(bytes.begin(), digest.size(), digest.begin());
  return digest;
}

EfuseImage efuse_step(const std::string& step) {
  return EfuseImage::from_virtual_file(test::read_vector("efuse/" + step + ".efuse.bin"));
}

SecurityProfile lockdown() {
  SecurityProfile profile;
  profile.flash_encryption = XtsKeyLength::Aes128;
  profile.secure_boot_digests = {digest_of("sbv2_rsa3072_key1")};
  return profile;
}

struct Images {
  Bytes bootloader = test::read_vector("secure_boot_v2/signed_key1.bin");
  Bytes app = test::read_vector("secure_boot_v2/signed_unaligned_key1.bin");
  std::vector<PlanImage> list() const { return {{"bootloader", bootloader}, {"app", app}}; }
};

void expect_refusal(const SecurityProfile& profile, const EfuseImage& efuses, const std::vector<PlanImage>& images,
                    const std::string& rule) {
  try {
    (void)plan_burn(profile, efuses, images);
    ADD_FAILURE() << "plan accepted, expected security.plan." << rule;
  } catch (const PolicyRefusalError& error) {
    EXPECT_EQ(error.code(), "security.plan." + rule) << error.message();
    EXPECT_FALSE(error.hint().empty());
  }
}

const FieldWrite* find_write(const BurnBatch& batch, const std::string& field) {
  for (const auto& write : batch.fields)
    if (write.field == field) return &write;
  return nullptr;
}

TEST(BurnPlan, FullLockdownInEspressifOrder) {
  const Images images;
  const auto plan = plan_burn(lockdown(), EfuseImage{}, images.list());
  std::vector<std::string> names;
  for (const auto& batch : plan.batches) names.push_back(batch.name);
  EXPECT_EQ(names, (std::vector<std::string>{"flash-encryption key", "flash-encryption enable", "secure-boot digests",
                                             "secure-boot enable", "write protection", "final lock"}));
  const auto& fe = plan.batches[0];
  ASSERT_EQ(fe.key_blocks.size(), 1u);
  EXPECT_EQ(fe.key_blocks[0].key_block, 0u);
  EXPECT_EQ(fe.key_blocks[0].purpose, KeyPurpose::XtsAes128Key);
  EXPECT_EQ(fe.key_blocks[0].source, KeySource::DeviceFlashEncryptionKey);
  EXPECT_TRUE(fe.key_blocks[0].read_protect);
  // Same BLOCK0 words as espefuse's burn_key (step 02): WR_DIS bits 8 and 23, RD_DIS bit 0, purpose 4.
  EXPECT_EQ(find_write(fe, "WR_DIS")->value, 0x00800100u);
  EXPECT_EQ(find_write(fe, "RD_DIS")->value, 1u);
  EXPECT_EQ(find_write(fe, "KEY_PURPOSE_0")->value, 4u);
  EXPECT_EQ(find_write(plan.batches[1], "SPI_BOOT_CRYPT_CNT")->value, 7u);
  const auto& sb = plan.batches[2];
  ASSERT_EQ(sb.key_blocks.size(), 1u);
  EXPECT_EQ(sb.key_blocks[0].key_block, 1u);
  EXPECT_EQ(sb.key_blocks[0].purpose, KeyPurpose::SecureBootDigest0);
  EXPECT_FALSE(sb.key_blocks[0].read_protect);
  EXPECT_EQ(find_write(sb, "WR_DIS")->value, 0x01000200u);  // as step 03's BLOCK0 word
  const auto& enable = plan.batches[3];
  EXPECT_NE(find_write(enable, "SECURE_BOOT_EN"), nullptr);
  EXPECT_EQ(find_write(enable, "SOFT_DIS_JTAG")->value, 7u);
  EXPECT_EQ(find_write(enable, "SECURE_BOOT_KEY_REVOKE0"), nullptr);
  EXPECT_NE(find_write(enable, "SECURE_BOOT_KEY_REVOKE1"), nullptr);
  EXPECT_NE(find_write(enable, "SECURE_BOOT_KEY_REVOKE2"), nullptr);
  EXPECT_EQ(find_write(plan.batches[4], "WR_DIS")->value, 1u);
  EXPECT_TRUE(plan.batches[5].after_boot_verified);
  EXPECT_NE(find_write(plan.batches[5], "ENABLE_SECURITY_DOWNLOAD"), nullptr);
}

TEST(BurnPlan, Xts256UsesTwoBlocksBelowKey5) {
  auto profile = lockdown();
  profile.flash_encryption = XtsKeyLength::Aes256;
  const Images images;
  const auto plan = plan_burn(profile, EfuseImage{}, images.list());
  const auto& fe = plan.batches.at(0);
  ASSERT_EQ(fe.key_blocks.size(), 2u);
  EXPECT_EQ(fe.key_blocks[0].purpose, KeyPurpose::XtsAes256Key1);
  EXPECT_EQ(fe.key_blocks[1].purpose, KeyPurpose::XtsAes256Key2);
  EXPECT_EQ(fe.key_blocks[1].key_half, 1u);
  EXPECT_EQ(plan.batches.at(2).key_blocks.at(0).key_block, 2u);  // digest goes to the next free block
}

TEST(BurnPlan, ChainAlreadyBurnedPlansNothing) {
  SecurityProfile profile = lockdown();
  profile.dis_download_icache = profile.dis_download_dcache = profile.dis_direct_boot = false;
  profile.revoke_unused_digest_slots = false;
  profile.write_protect_rd_dis = false;
  profile.final_lock = SecurityProfile::FinalLock::None;
  const Images images;
  const auto plan = plan_burn(profile, efuse_step("step08b_read_protect"), images.list());
  EXPECT_TRUE(plan.empty()) << plan.batches.front().name;
  EXPECT_FALSE(plan.skipped.empty());
}

TEST(BurnPlanRefuses, SecureBootBeforeFlashEncryption) {
  EfuseImage efuses;
  efuses.block(0)[0] = 1;  // WR_DIS bit 0: RD_DIS write-protected, as Secure Boot leaves it
  const Images images;
  expect_refusal(lockdown(), efuses, images.list(), "sb_before_fe");
}

TEST(BurnPlanRefuses, XtsKeyInBlockKey5) {
  auto profile = lockdown();
  profile.flash_encryption_key_block = 5;
  const Images images;
  expect_refusal(profile, EfuseImage{}, images.list(), "xts_key5");
  // XTS-256 with only BLOCK_KEY4 and BLOCK_KEY5 free.
  EfuseImage full;
  full.block(0)[2] = 0x11000000;  // KEY_PURPOSE_0, _1 = RESERVED
  full.block(0)[3] = 0x00000011;  // KEY_PURPOSE_2, _3 = RESERVED
  profile.flash_encryption = XtsKeyLength::Aes256;
  profile.flash_encryption_key_block.reset();
  expect_refusal(profile, full, images.list(), "xts_key5");
}

TEST(BurnPlanRefuses, KeyBlockHoldingAnotherPurpose) {
  auto profile = lockdown();
  profile.flash_encryption_key_block = 1;  // step 03 put the Secure Boot digest there
  const Images images;
  EfuseImage digest_in_key1 = efuse_step("step03_burn_key_digest");
  digest_in_key1.block(0)[2] &= ~0x0F000000u;  // no XTS key yet, KEY1 holds the digest
  digest_in_key1.block(4) = {};
  expect_refusal(profile, digest_in_key1, images.list(), "key_block_taken");
  // A different digest in slot 0 than the profile's.
  auto other = lockdown();
  other.secure_boot_digests = {digest_of("sbv2_rsa3072_key2")};
  expect_refusal(other, efuse_step("step03_burn_key_digest"), images.list(), "key_block_taken");
}

TEST(BurnPlanRefuses, ReburningAnRsBlock) {
  SecurityProfile profile;
  profile.final_lock = SecurityProfile::FinalLock::None;
  profile.extra_fields = {{"CUSTOM_MAC", 0x0000112233445566}};
  EfuseImage efuses;
  efuses.block(3)[0] = 0x1;  // BLOCK_USR_DATA already written
  expect_refusal(profile, efuses, {}, "rs_reburn");
  EXPECT_NO_THROW((void)plan_burn(profile, EfuseImage{}, {}));
}

TEST(BurnPlanRefuses, SecureBootWithUnsignedOrForeignImages) {
  auto profile = lockdown();
  profile.secure_boot_digests = {digest_of("sbv2_rsa3072_key2")};
  const Images images;
  expect_refusal(profile, EfuseImage{}, images.list(), "unsigned_images");
  expect_refusal(lockdown(), EfuseImage{}, {}, "unsigned_images");
  const Bytes tampered = test::read_vector("secure_boot_v2/tampered_data_key1.bin");
  expect_refusal(lockdown(), EfuseImage{}, {{"app", tampered}}, "unsigned_images");
}

TEST(BurnPlanRefuses, FlashEncryptionWithoutXtsKey) {
  SecurityProfile profile;
  profile.final_lock = SecurityProfile::FinalLock::None;
  profile.extra_fields = {{"SPI_BOOT_CRYPT_CNT", 1}};
  expect_refusal(profile, EfuseImage{}, {}, "fe_without_key");
}

TEST(BurnPlanRefuses, FreezingSecureVersionUnlessAllowed) {
  SecurityProfile profile;
  profile.final_lock = SecurityProfile::FinalLock::None;
  profile.extra_write_protect = {"DIS_DOWNLOAD_MODE"};
  expect_refusal(profile, EfuseImage{}, {}, "secure_version_freeze");
  profile.allow_secure_version_freeze = true;
  EXPECT_EQ(plan_burn(profile, EfuseImage{}, {}).batches.at(0).fields.at(0).value, 1u << 18);
}

TEST(BurnPlanRefuses, UsbSerialJtagTogetherWithUsbJtag) {
  auto profile = lockdown();
  profile.dis_usb_serial_jtag = true;
  const Images images;
  expect_refusal(profile, EfuseImage{}, images.list(), "usb_jtag_rom_bug");
}

TEST(BurnPlanRefuses, UsbOnlyProduct) {
  auto profile = lockdown();
  profile.usb_is_only_port = true;
  profile.final_lock = SecurityProfile::FinalLock::DisableDownload;
  const Images images;
  expect_refusal(profile, EfuseImage{}, images.list(), "usb_only_port");
  profile.final_lock = SecurityProfile::FinalLock::SecureDownload;
  profile.disable_jtag = false;
  profile.dis_usb_serial_jtag = true;
  expect_refusal(profile, EfuseImage{}, images.list(), "usb_only_port");
}

TEST(BurnPlanRefuses, UnknownField) {
  SecurityProfile profile;
  profile.extra_fields = {{"DIS_EVERYTHING", 1}};
  expect_refusal(profile, EfuseImage{}, {}, "unknown_field");
  profile.extra_fields.clear();
  profile.extra_write_protect = {"NOT_A_FIELD"};
  expect_refusal(profile, EfuseImage{}, {}, "unknown_field");
}

TEST(BurnPlanRefuses, WriteProtectedFieldAndClearingBits) {
  auto profile = lockdown();  // wants DIS_DOWNLOAD_ICACHE, whose group step 08a write-protected
  const Images images;
  expect_refusal(profile, efuse_step("step08b_read_protect"), images.list(), "write_protected");
  SecurityProfile clear;
  clear.final_lock = SecurityProfile::FinalLock::None;
  clear.extra_fields = {{"KEY_PURPOSE_1", 2}};  // 9 (SECURE_BOOT_DIGEST0) on the device
  expect_refusal(clear, efuse_step("step03_burn_key_digest"), {}, "cannot_clear_bits");
}

// ---- the identity's DS key (station profile [identity] container = "ds") ----

void set_field(EfuseImage& image, std::string_view name, std::uint64_t value) {
  const auto* field = chip::esp32s3_efuse::find_field(name);
  ASSERT_NE(field, nullptr) << name;
  auto& words = image.block(field->block);
  const auto first = static_cast<unsigned>(field->word * 32 + field->pos);
  for (unsigned i = 0; i < field->bit_len && i < 64; ++i)
    if ((value >> i) & 1u) words[(first + i) / 32] |= 1u << ((first + i) % 32);
}

const KeyBlockWrite* key_write(const BurnPlan& plan, KeyPurpose purpose) {
  for (const auto& batch : plan.batches)
    for (const auto& write : batch.key_blocks)
      if (write.purpose == purpose) return &write;
  return nullptr;
}

TEST(BurnPlan, DsKeyComesFirstReadAndWriteProtectedAndTheOtherKeysGoAroundIt) {
  const Images images;
  auto profile = lockdown();
  profile.ds_hmac_key_block = 5;
  const auto plan = plan_burn(profile, EfuseImage{}, images.list());
  ASSERT_FALSE(plan.batches.empty());
  const auto& ds = plan.batches.front();
  EXPECT_EQ(ds.name, "ds key");
  ASSERT_EQ(ds.key_blocks.size(), 1u);
  EXPECT_EQ(ds.key_blocks[0].key_block, 5u);
  EXPECT_EQ(ds.key_blocks[0].purpose, KeyPurpose::HmacDownDigitalSignature);
  EXPECT_EQ(ds.key_blocks[0].source, KeySource::SecretKey);
  EXPECT_EQ(ds.key_blocks[0].key_half, 0u);
  ASSERT_NE(find_write(ds, "KEY_PURPOSE_5"), nullptr);
  EXPECT_EQ(find_write(ds, "KEY_PURPOSE_5")->value, 7u);
  // BLOCK_KEY5 is block 9: RD_DIS bit 5 hides it, WR_DIS bit 28 freezes it, bit 13 its purpose.
  ASSERT_NE(find_write(ds, "RD_DIS"), nullptr);
  EXPECT_EQ(find_write(ds, "RD_DIS")->value, 1u << 5);
  ASSERT_NE(find_write(ds, "WR_DIS"), nullptr);
  EXPECT_EQ(find_write(ds, "WR_DIS")->value, (1u << 13) | (1u << 28));
  // The flash-encryption key and the digest keep their usual blocks.
  ASSERT_NE(key_write(plan, KeyPurpose::XtsAes128Key), nullptr);
  EXPECT_EQ(key_write(plan, KeyPurpose::XtsAes128Key)->key_block, 0u);
  ASSERT_NE(key_write(plan, KeyPurpose::SecureBootDigest0), nullptr);
  EXPECT_EQ(key_write(plan, KeyPurpose::SecureBootDigest0)->key_block, 1u);

  // In KEY0 the planner's own choices move on to the next free blocks.
  profile.ds_hmac_key_block = 0;
  const auto moved = plan_burn(profile, EfuseImage{}, images.list());
  EXPECT_EQ(key_write(moved, KeyPurpose::HmacDownDigitalSignature)->key_block, 0u);
  EXPECT_EQ(key_write(moved, KeyPurpose::XtsAes128Key)->key_block, 1u);
  EXPECT_EQ(key_write(moved, KeyPurpose::SecureBootDigest0)->key_block, 2u);
}

TEST(BurnPlan, ADsKeyAlreadySealedInItsBlockIsSkipped) {
  const Images images;
  auto profile = lockdown();
  profile.ds_hmac_key_block = 5;
  EfuseImage sealed;
  set_field(sealed, "KEY_PURPOSE_5", 7);
  set_field(sealed, "RD_DIS", 1u << 5);
  const auto plan = plan_burn(profile, sealed, images.list());
  EXPECT_EQ(key_write(plan, KeyPurpose::HmacDownDigitalSignature), nullptr);
  EXPECT_NE(plan.batches.front().name, "ds key");
  EXPECT_NE(std::find_if(plan.skipped.begin(), plan.skipped.end(),
                         [](const std::string& s) { return s.rfind("DS key: BLOCK_KEY5 already", 0) == 0; }),
            plan.skipped.end());
}

TEST(BurnPlanRefuses, ADsKeyBlockThatIsTakenOrOutOfRange) {
  const Images images;
  auto profile = lockdown();
  profile.ds_hmac_key_block = 5;
  EfuseImage user_data;  // KEY5 holds user data
  user_data.block(chip::esp32s3_efuse::kBlockKey0 + 5)[0] = 0x1234;
  expect_refusal(profile, user_data, images.list(), "key_block_taken");
  EfuseImage other_purpose;  // an HMAC_DOWN_JTAG key: not a DS key
  set_field(other_purpose, "KEY_PURPOSE_5", 6);
  expect_refusal(profile, other_purpose, images.list(), "key_block_taken");
  EfuseImage unprotected;  // a DS purpose but not read-protected: its key may be known
  set_field(unprotected, "KEY_PURPOSE_5", 7);
  expect_refusal(profile, unprotected, images.list(), "key_block_taken");
  // The flash-encryption key asked for the same block.
  profile.flash_encryption_key_block = 5;
  profile.ds_hmac_key_block = 4;
  expect_refusal(profile, EfuseImage{}, images.list(), "xts_key5");
  profile.flash_encryption_key_block = 4;
  expect_refusal(profile, EfuseImage{}, images.list(), "key_block_taken");
  profile.flash_encryption_key_block.reset();
  profile.ds_hmac_key_block = 6;
  EXPECT_THROW((void)plan_burn(profile, EfuseImage{}, images.list()), BadInputError);
}

}  // namespace
}  // namespace espfab::security
