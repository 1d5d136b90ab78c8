// The boot model against the boot spec's checklist (esp32s3-boot-behaviour.md §6): a device is
// given a flash built with image/ (Espressif's bootloader vector, a partition table, apps with an
// esp_app_desc_t, Espressif's esp_secure_cert vector) and eFuses set through the controller, then
// reset into a normal boot; the console must show what a real chip would print.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "chip/esp32s3_efuse.hpp"
#include "emulator/virtual_device.hpp"
#include "emulator/xts_engine.hpp"
#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"
#include "image/partition_binary.hpp"
#include "image/partition_csv.hpp"
#include "security/efuse_reed_solomon.hpp"
#include "security/flash_encryption.hpp"
#include "security/sbv2_key.hpp"
#include "security/secure_boot_v2.hpp"
#include "support/test_paths.hpp"
#include "util/crc32.hpp"

namespace espfab::emulator {
namespace {

constexpr std::uint32_t kFactory = 0x20000;
constexpr std::uint32_t kOta0 = 0x120000;
constexpr std::uint32_t kOtadata = 0x17000;

std::string console_of(VirtualDevice& device) {
  const Bytes out = device.reset_normal_boot();
  return std::string(out.begin(), out.end());
}

bool has(const std::string& console, const std::string& text) { return console.find(text) != std::string::npos; }

Bytes partition_table() {
  const std::string csv =
      "esp_secure_cert, 0x3F, , 0xD000, 0x2000, encrypted\n"
      "nvs, data, nvs, 0x10000, 0x6000,\n"
      "otadata, data, ota, 0x17000, 0x2000,\n"
      "factory, app, factory, 0x20000, 0x100000,\n"
      "ota_0, app, ota_0, 0x120000, 0x100000,\n";
  return image::write_partition_binary(image::parse_partition_csv(csv));
}

Bytes app_image(const std::string& project, const std::string& version = "1.2.3") {
  image::AppDescriptor desc;
  desc.version = version;
  desc.project_name = project;
  desc.time = "12:00:00";
  desc.date = "Nov 24 2026";
  desc.idf_version = "v5.5.5";
  for (std::size_t i = 0; i < desc.app_elf_sha256.size(); ++i) desc.app_elf_sha256[i] = static_cast<std::uint8_t>(i);
  std::vector<image::SegmentInput> segments;
  segments.push_back({0x3C000020, image::serialize_app_descriptor(desc), ".flash.appdesc", 0});
  segments.push_back({0x42000020, Bytes(0x400, 0x11), ".flash.text", image::kSegmentExecutable});
  segments.push_back({0x40370000, Bytes(0x100, 0x22), ".iram0.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = 0x40370000;
  options.flash_mode = 2;
  options.flash_size_freq = 0x2F;
  return image::build_image(std::move(segments), options);
}

Bytes sign(const Bytes& image, const std::string& key) {
  const auto signing_key = security::PemSigningKey::from_file(test::vectors_dir() / "secure_boot_v2" / key);
  const security::SigningKey* keys[] = {signing_key.get()};
  return security::sign_image(image, keys).image;
}

Bytes otadata_selecting(std::uint32_t seq) {
  Bytes data(0x2000, 0xFF);
  Bytes entry(32, 0xFF);
  store_le32(entry, 0, seq);
  store_le32(entry, 24, 2);  // VALID
  store_le32(entry, 28, crc32_esp(ByteView(entry).first(4)));
  std::copy(entry.begin(), entry.end(), data.begin());
  return data;
}

struct Flash {
  Bytes bootloader = test::read_vector("app_image/boot.bin");
  Bytes table = partition_table();
  Bytes factory = app_image("factory-test");
  std::optional<Bytes> ota0;
  std::optional<Bytes> otadata;
  Bytes secure_cert = test::read_vector("secure_cert/esp_secure_cert_ecdsa.bin");

  void write_to(VirtualDevice& device, const security::FlashEncryptionKey* key = nullptr) const {
    write_with(device, [&](std::uint32_t offset, Bytes& data) {
      if (key) security::encrypt_flash_in_place(*key, offset, data);
    });
  }
  // As the chip's own engine would have written it (any key, equal halves included).
  void write_encrypted_by(VirtualDevice& device, const XtsEngine& engine) const {
    write_with(device, [&](std::uint32_t offset, Bytes& data) { ASSERT_TRUE(engine.encrypt(offset, data)); });
  }
  template <typename Encrypt>
  void write_with(VirtualDevice& device, Encrypt encrypt) const {
    auto put = [&](std::uint32_t offset, Bytes data) {
      data.resize(align_up(data.size(), std::size_t{16}), 0xFF);
      encrypt(offset, data);
      device.flash().erase(offset, static_cast<std::uint32_t>(data.size()));
      device.flash().program(offset, data);
    };
    put(0x0, bootloader);
    put(0x8000, table);
    put(kFactory, factory);
    put(0xD000, secure_cert);
    if (ota0) put(kOta0, *ota0);
    if (otadata) put(kOtadata, *otadata);
  }
};

namespace efuse = chip::esp32s3_efuse;

// Burns eFuses through the controller's registers, as a host would: data words (+ RS check words
// for blocks 1..10), program, read refresh.
void burn_block(VirtualDevice& device, unsigned block, const std::array<std::uint32_t, 8>& words) {
  auto& controller = device.efuse();
  for (unsigned w = 0; w < 8; ++w) controller.write_register(efuse::kBase + 4 * w, words[w]);
  if (block != 0) {
    Bytes bytes(32);
    for (std::size_t i = 0; i < 32; ++i) bytes[i] = static_cast<std::uint8_t>(words[i / 4] >> (8 * (i % 4)));
    const auto check = security::rs_check_words(bytes);
    for (unsigned w = 0; w < 3; ++w)
      controller.write_register(efuse::kBase + efuse::EFUSE_CHECK_VALUE0_REG + 4 * w, check[w]);
  }
  controller.write_register(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kWriteOpCode);
  controller.write_register(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kPgmCmd | (block << efuse::kPgmBlockShift));
  controller.write_register(efuse::kBase + efuse::EFUSE_CONF_REG, efuse::kReadOpCode);
  controller.write_register(efuse::kBase + efuse::EFUSE_CMD_REG, efuse::kReadCmd);
}

void burn_key_block(VirtualDevice& device, unsigned key, ByteView bytes) {
  std::array<std::uint32_t, 8> words{};
  for (std::size_t i = 0; i < 32; ++i) words[i / 4] |= std::uint32_t{bytes[i]} << (8 * (i % 4));
  burn_block(device, 4 + key, words);
}

// BLOCK0 fields: (field, value) pairs into one program cycle.
void burn_fields(VirtualDevice& device, std::initializer_list<std::pair<efuse::Field, std::uint32_t>> fields) {
  std::array<std::uint32_t, 8> words{};
  for (const auto& [field, value] : fields) words[field.word] |= value << field.shift;
  burn_block(device, 0, words);
}

TEST(BootModel, PlainBootPrintsRomBootloaderAndAppLines) {  // checklist 1, 7, 8, 10, 17
  VirtualDevice device(DeviceConfig{});
  Flash flash;
  flash.write_to(device);
  const std::string console = console_of(device);
  EXPECT_TRUE(
      has(console, "ESP-ROM:esp32s3-20210327\r\nBuild:Mar 27 2021\r\nrst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)"))
      << console;
  EXPECT_FALSE(has(console, "Saved PC")) << "power-on reset";
  EXPECT_TRUE(has(console, "mode:DIO, clock div:1")) << console;
  EXPECT_TRUE(has(console, "entry 0x")) << console;
  EXPECT_TRUE(has(console, "boot: ESP-IDF ")) << console;
  EXPECT_TRUE(has(console, "boot: Partition Table:")) << console;
  EXPECT_TRUE(has(console, " 3 factory          factory app      00 00 00020000 00100000")) << console;
  EXPECT_TRUE(has(console, "boot: Defaulting to factory image")) << console;
  EXPECT_TRUE(has(console, "esp_image: segment 0: paddr=")) << console;
  EXPECT_TRUE(has(console, "boot: Loaded app from partition at offset 0x20000")) << console;
  EXPECT_TRUE(has(console, "app_init: Project name:     factory-test")) << console;
  EXPECT_TRUE(has(console, "app_init: App version:      1.2.3")) << console;
  EXPECT_TRUE(has(console, "app_init: ELF file SHA256:  000102030...")) << console;
  EXPECT_FALSE(has(console, "E (")) << console;
  // The factory-test app's ready line, then the protocol on the same link.
  EXPECT_TRUE(
      has(console, R"({"ft":1,"event":"ready","fw":"factory-test","version":"1.2.3","mac":"7c:df:a1:00:00:00"})"))
      << console;
  const Bytes reply =
      device.on_host_bytes(ByteView(reinterpret_cast<const std::uint8_t*>("{\"id\":7,\"cmd\":\"info\"}\n"), 22));
  const std::string answer(reply.begin(), reply.end());
  EXPECT_TRUE(has(answer, R"("id":7)")) << answer;
  EXPECT_TRUE(has(answer, R"("chip":"ESP32-S3")")) << answer;
  // A second boot is a software reset.
  EXPECT_TRUE(has(console_of(device), "rst:0x3 (RTC_SW_SYS_RST),boot:0x8 (SPI_FAST_FLASH_BOOT)\r\nSaved PC:0x"));
}

// hang_on and boot_loop act around whichever factory-test firmware runs (the emulator's app or a
// test's reference core): the device drops the reply, or resets instead of answering.
TEST(BootModel, FactoryTestHangAndBootLoopKnobsActAroundTheApp) {
  VirtualDevice device(DeviceConfig{});
  Flash flash;
  flash.write_to(device);
  const auto send = [&](std::string_view line) {
    const Bytes reply = device.on_host_bytes(ByteView(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()));
    return std::string(reply.begin(), reply.end());
  };
  device.set_faults(parse_device_faults("hang_on=info"));
  (void)console_of(device);
  EXPECT_EQ(send("{\"id\":1,\"cmd\":\"info\"}\n"), "") << "hang_on: never answered";
  EXPECT_TRUE(has(send("{\"id\":2,\"cmd\":\"mem_test\"}\n"), R"({"id":2,"ok":true)")) << "other commands are";
  device.set_faults(parse_device_faults("boot_loop"));
  (void)console_of(device);
  EXPECT_TRUE(has(send("{\"id\":3,\"cmd\":\"info\"}\n"), "rst:0x3 (RTC_SW_SYS_RST)")) << "resets instead of answering";
}

TEST(BootModel, ErasedFlashShowsInvalidHeader) {  // checklist 3
  VirtualDevice device(DeviceConfig{});
  const std::string console = console_of(device);
  EXPECT_TRUE(has(console, "invalid header: 0xffffffff")) << console;
  EXPECT_FALSE(has(console, "2nd stage bootloader")) << "never reaches the 2nd stage";
}

TEST(BootModel, OtadataSelectsOta0AndProductionAppReportsItsIdentity) {  // checklist 8, production app
  VirtualDevice device(DeviceConfig{});
  Flash flash;
  flash.ota0 = app_image("widget", "2.0.0");
  flash.otadata = otadata_selecting(1);
  flash.write_to(device);
  const std::string console = console_of(device);
  EXPECT_TRUE(has(console, "boot: Loaded app from partition at offset 0x120000")) << console;
  EXPECT_TRUE(has(console, "app_init: Project name:     widget")) << console;
  EXPECT_TRUE(has(console,
                  "espfab_identity: serial=esp32s3-pub-ecdsa "
                  "cert_sha256=995c70ee32819ce31a49a3647a1a6703692bac5d9450e589baccd181cb5317ed "
                  "flash_encryption=off secure_boot=off"))
      << console;
  EXPECT_TRUE(has(console, "main_task: Returned from app_main()")) << console;
}

TEST(BootModel, CorruptAppFallsBackAndNoBootableAppIsReported) {  // checklist 9
  VirtualDevice device(DeviceConfig{});
  Flash flash;
  flash.factory[flash.factory.size() - 40] ^= 0xFF;  // inside the appended SHA-256 region
  flash.write_to(device);
  const std::string console = console_of(device);
  EXPECT_TRUE(has(console, "Factory app partition is not bootable")) << console;
  EXPECT_TRUE(has(console, "No bootable app partitions in the partition table")) << console;
  EXPECT_FALSE(has(console, "Loaded app")) << console;
}

TEST(BootModel, SecureBootAcceptsOnlyImagesSignedByABurnedDigest) {  // checklist 4, 10, 11, 12
  Flash flash;
  flash.bootloader = sign(flash.bootloader, "sbv2_rsa3072_key1.pem");
  flash.factory = sign(app_image("factory-test"), "sbv2_rsa3072_key1.pem");
  const Bytes digest1 = test::read_vector("secure_boot_v2/sbv2_rsa3072_key1_pubkey_digest.bin");

  VirtualDevice device(DeviceConfig{});
  flash.write_to(device);
  burn_key_block(device, 1, digest1);
  burn_fields(device, {{efuse::kKeyPurposeFields[1], 9u /* SECURE_BOOT_DIGEST0 */}, {efuse::SECURE_BOOT_EN, 1u}});
  std::string console = console_of(device);
  EXPECT_TRUE(has(console, "Valid secure boot key blocks: 0\r\nsecure boot verification succeeded")) << console;
  EXPECT_TRUE(has(console, "secure_boot_v2: Signature verified successfully!")) << console;
  EXPECT_TRUE(has(console, "secure_boot_v2: secure boot v2 is already enabled, continuing..")) << console;
  EXPECT_TRUE(has(console, "Loaded app from partition at offset 0x20000")) << console;

  // An app signed by another key: rejected in the bootloader.
  Flash other = flash;
  other.factory = sign(app_image("factory-test"), "sbv2_rsa3072_key2.pem");
  other.write_to(device);
  console = console_of(device);
  EXPECT_TRUE(has(console, "secure_boot_v2: Secure Boot V2 verification failed.")) << console;
  EXPECT_TRUE(has(console, "No bootable app partitions")) << console;

  // A bootloader changed after signing: the ROM refuses it.
  Flash tampered = flash;
  tampered.bootloader[0x100] ^= 0x01;
  tampered.write_to(device);
  console = console_of(device);
  EXPECT_TRUE(has(console, "secure boot verification failed\r\nets_main.c 329")) << console;
  EXPECT_FALSE(has(console, "2nd stage bootloader")) << console;

  // An unsigned bootloader: the ROM refuses it.
  Flash unsigned_boot = flash;
  unsigned_boot.bootloader = test::read_vector("app_image/boot.bin");
  device.flash().erase(0, 0x8000);  // the old signature sector goes too
  unsigned_boot.write_to(device);
  console = console_of(device);
  EXPECT_TRUE(has(console, "secure boot verification failed\r\nets_main.c 329")) << console;
  EXPECT_FALSE(has(console, "2nd stage bootloader")) << console;
}

TEST(BootModel, FlashEncryptionDecryptsHostEncryptedFlashAndRejectsPlaintext) {  // checklist 2, 6, 13, 18
  Bytes key_bytes(32);
  for (std::size_t i = 0; i < key_bytes.size(); ++i) key_bytes[i] = static_cast<std::uint8_t>(0x30 + 7 * i);
  const security::FlashEncryptionKey key{SecretBytes(Bytes(key_bytes))};
  Flash flash;
  flash.ota0 = app_image("widget");
  flash.otadata = otadata_selecting(1);

  VirtualDevice device(DeviceConfig{});
  flash.write_to(device, &key);
  const SecretBytes block = key.efuse_block_bytes(0);
  burn_key_block(device, 0, block.view());
  // XTS_AES_128_KEY, SPI_BOOT_CRYPT_CNT = 7, and the release-mode download restrictions.
  burn_fields(device, {{efuse::kKeyPurposeFields[0], 4u},
                       {efuse::SPI_BOOT_CRYPT_CNT, 7u},
                       {efuse::DIS_DOWNLOAD_ICACHE, 1u},
                       {efuse::DIS_DOWNLOAD_DCACHE, 1u},
                       {efuse::DIS_DOWNLOAD_MANUAL_ENCRYPT, 1u}});
  std::string console = console_of(device);
  EXPECT_TRUE(has(console, "boot: Checking flash encryption...")) << console;
  EXPECT_TRUE(has(console, "flash_encrypt: flash encryption is enabled (0 plaintext flashes left)")) << console;
  EXPECT_TRUE(has(console, "Loaded app from partition at offset 0x120000")) << console;
  EXPECT_TRUE(has(console, "flash_encrypt: Flash encryption mode is RELEASE")) << console;
  // The identity partition is flagged encrypted: read through the cache it decrypts.
  EXPECT_TRUE(has(console, "espfab_identity: serial=esp32s3-pub-ecdsa")) << console;
  EXPECT_TRUE(has(console, "flash_encryption=on secure_boot=off")) << console;

  // The same flash in plaintext on an FE chip: the ROM "decrypts" noise.
  flash.write_to(device);
  console = console_of(device);
  EXPECT_TRUE(has(console, "invalid header: 0x")) << console;
  EXPECT_FALSE(has(console, "2nd stage bootloader")) << console;
}

// Issue 21 item 4: whatever key material the eFuses hold, the chip uses it. A key whose two halves
// are equal (esptool's all-zero test key) is refused by host tools but not by the XTS engine.
TEST(BootModel, XtsKeyWithEqualHalvesIsUsedAsTheChipUsesIt) {
  Flash flash;
  flash.ota0 = app_image("widget");
  flash.otadata = otadata_selecting(1);
  VirtualDevice device(DeviceConfig{});
  flash.write_encrypted_by(device, XtsEngine::zero_key());
  // An all-zero key block (nothing to burn) with purpose XTS_AES_128_KEY; SPI_BOOT_CRYPT_CNT = 1.
  burn_fields(device, {{efuse::kKeyPurposeFields[0], 4u}, {efuse::SPI_BOOT_CRYPT_CNT, 1u}});
  std::string console;
  ASSERT_NO_THROW(console = console_of(device));
  EXPECT_TRUE(has(console, "flash_encrypt: flash encryption is enabled (")) << console;
  EXPECT_TRUE(has(console, "Loaded app from partition at offset 0x120000")) << console;
  EXPECT_TRUE(has(console, "espfab_identity: serial=esp32s3-pub-ecdsa")) << console;
  EXPECT_FALSE(has(console, VirtualDevice::kHaltLinePrefix)) << console;
}

// Flash encryption on without any XTS key block: the engine's key is all zeros, the ROM reads
// noise and stops at its header check; the device stays usable (download mode still answers).
TEST(BootModel, CryptCntWithoutAnXtsKeyFailsAtTheRomHeaderCheck) {
  Flash flash;
  VirtualDevice device(DeviceConfig{});
  flash.write_to(device);
  burn_fields(device, {{efuse::SPI_BOOT_CRYPT_CNT, 1u}});
  std::string console;
  ASSERT_NO_THROW(console = console_of(device));
  EXPECT_TRUE(has(console, "rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)")) << console;
  EXPECT_TRUE(has(console, "invalid header: 0x")) << console;
  EXPECT_FALSE(has(console, "2nd stage bootloader")) << console;
  const Bytes banner = device.reset_into_download();
  EXPECT_TRUE(has(std::string(banner.begin(), banner.end()), "waiting for download"));
}

}  // namespace
}  // namespace espfab::emulator
