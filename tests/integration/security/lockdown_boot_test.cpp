// Issue 5 acceptance against espfab-emu: a full lock-down plan (XTS-128 key read/write-protected,
// SBv2 digest, JTAG off, DIS_DOWNLOAD_MANUAL_ENCRYPT, RD_DIS write-protected, unused digest slots
// revoked) burned by the executor through the emulator's eFuse registers; afterwards the emulated
// chip boots a signed and host-encrypted bootloader/app, and nothing else: not plaintext, not an
// unsigned or wrongly signed image.
#include <gtest/gtest.h>

#include <string>

#include "emulator/virtual_device.hpp"
#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "security/burn_plan.hpp"
#include "security/efuse_burner.hpp"
#include "security/flash_encryption.hpp"
#include "security/sbv2_key.hpp"
#include "security/secure_boot_v2.hpp"
#include "support/secret_scan.hpp"
#include "support/test_paths.hpp"

namespace espfab::security {
namespace {

class DeviceRegisters : public EfuseRegisters {
 public:
  explicit DeviceRegisters(emulator::VirtualDevice& device) : device_(device) {}
  std::uint32_t read(std::uint32_t address) override { return device_.efuse().read_register(address); }
  void write(std::uint32_t address, std::uint32_t value) override { device_.efuse().write_register(address, value); }
  void pause(unsigned) override {}

 private:
  emulator::VirtualDevice& device_;
};

Bytes signed_by(const Bytes& image, const std::string& key) {
  const auto signing_key = PemSigningKey::from_file(test::vectors_dir() / "secure_boot_v2" / key);
  const SigningKey* keys[] = {signing_key.get()};
  return sign_image(image, keys).image;
}

Bytes app(const std::string& project) {
  image::AppDescriptor desc;
  desc.version = "3.1.4";
  desc.project_name = project;
  desc.time = "10:00:00";
  desc.date = "Nov 24 2026";
  desc.idf_version = "v5.5.5";
  std::vector<image::SegmentInput> segments;
  segments.push_back({0x3C000020, image::serialize_app_descriptor(desc), ".flash.appdesc", 0});
  segments.push_back({0x42000020, Bytes(0x800, 0x33), ".flash.text", image::kSegmentExecutable});
  segments.push_back({0x40370000, Bytes(0x100, 0x44), ".iram0.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = 0x40370000;
  options.flash_mode = 2;
  options.flash_size_freq = 0x2F;
  return image::build_image(std::move(segments), options);
}

struct Firmware {
  Bytes bootloader;
  Bytes table;
  Bytes app;
};

Firmware firmware(const std::string& key) {
  return {signed_by(test::read_vector("app_image/boot.bin"), key),
          image::write_partition_binary(image::parse_partition_csv("factory, app, factory, 0x20000, 0x100000,\n")),
          signed_by(app("widget"), key)};
}

// Flashes as the station does after the lock-down: each region encrypted on the host for the
// device key at its own offset (or plaintext when no key is given).
void flash(emulator::VirtualDevice& device, const Firmware& fw, const FlashEncryptionKey* key) {
  device.flash().erase(0, 0x120000);
  for (const auto& [offset, data] :
       std::vector<std::pair<std::uint32_t, Bytes>>{{0x0, fw.bootloader}, {0x8000, fw.table}, {0x20000, fw.app}}) {
    Bytes bytes = data;
    bytes.resize((bytes.size() + 15) / 16 * 16, 0xFF);
    if (key) encrypt_flash_in_place(*key, offset, bytes);
    device.flash().program(offset, bytes);
  }
}

std::string boot(emulator::VirtualDevice& device) {
  const Bytes out = device.reset_normal_boot();
  return std::string(out.begin(), out.end());
}

TEST(LockdownBoot, OnlySignedAndHostEncryptedFirmwareBootsAfterTheBurn) {
  emulator::VirtualDevice device(emulator::DeviceConfig{});
  DeviceRegisters registers(device);
  const EfuseImage before = read_efuses(registers);
  const Firmware good = firmware("sbv2_rsa3072_key1.pem");
  SecurityProfile profile;
  profile.flash_encryption = XtsKeyLength::Aes128;
  const Bytes digest = test::read_vector("secure_boot_v2/sbv2_rsa3072_key1_pubkey_digest.bin");
  KeyDigest key_digest{};
  std::copy_n(digest.begin(), key_digest.size(), key_digest.begin());
  profile.secure_boot_digests = {key_digest};
  const std::vector<PlanImage> images{{"bootloader", good.bootloader}, {"app", good.app}};
  const BurnPlan plan = plan_burn(profile, before, images);
  const FlashEncryptionKey key = FlashEncryptionKey::generate(XtsKeyLength::Aes128);
  (void)EfuseBurner(registers).execute(plan, before, &key);

  const EfuseImage after = read_efuses(registers);
  EXPECT_EQ(after.field_uint("SPI_BOOT_CRYPT_CNT"), 7u);
  EXPECT_EQ(after.field_uint("SECURE_BOOT_EN"), 1u);
  EXPECT_EQ(after.field_uint("DIS_DOWNLOAD_MANUAL_ENCRYPT"), 1u);
  EXPECT_EQ(after.field_uint("DIS_PAD_JTAG"), 1u);
  EXPECT_EQ(after.field_uint("SOFT_DIS_JTAG"), 7u);
  EXPECT_EQ(after.field_uint("SECURE_BOOT_KEY_REVOKE1"), 1u);
  EXPECT_EQ(after.field_uint("SECURE_BOOT_KEY_REVOKE2"), 1u);
  EXPECT_TRUE(after.write_protected(0)) << "RD_DIS write-protected";
  EXPECT_TRUE(after.read_protected(0)) << "the XTS key block is hidden";
  // The key is nowhere in the eFuse read registers.
  for (unsigned b = 0; b < 11; ++b)
    EXPECT_FALSE(test::contains_bytes(after.block_bytes(b), key.efuse_block_bytes(0).view()));

  flash(device, good, &key);
  std::string console = boot(device);
  EXPECT_NE(console.find("secure boot verification succeeded"), std::string::npos) << console;
  EXPECT_NE(console.find("flash encryption is enabled (0 plaintext flashes left)"), std::string::npos) << console;
  EXPECT_NE(console.find("Loaded app from partition at offset 0x20000"), std::string::npos) << console;
  EXPECT_NE(console.find("Flash encryption mode is RELEASE"), std::string::npos) << console;
  EXPECT_NE(console.find("Project name:     widget"), std::string::npos) << console;

  // Plaintext firmware: the ROM sees noise.
  flash(device, good, nullptr);
  console = boot(device);
  EXPECT_NE(console.find("invalid header"), std::string::npos) << console;
  EXPECT_EQ(console.find("Loaded app"), std::string::npos) << console;

  // Encrypted but signed by a key whose digest is not burned: the ROM refuses the bootloader.
  flash(device, firmware("sbv2_rsa3072_key2.pem"), &key);
  console = boot(device);
  EXPECT_NE(console.find("secure boot verification failed"), std::string::npos) << console;
  EXPECT_EQ(console.find("Loaded app"), std::string::npos) << console;

  // Encrypted, good bootloader, unsigned app: the bootloader refuses the app.
  Firmware unsigned_app = good;
  unsigned_app.app = app("widget");
  flash(device, unsigned_app, &key);
  console = boot(device);
  EXPECT_NE(console.find("secure boot verification succeeded"), std::string::npos) << console;
  EXPECT_NE(console.find("No bootable app partitions"), std::string::npos) << console;
}

}  // namespace
}  // namespace espfab::security
