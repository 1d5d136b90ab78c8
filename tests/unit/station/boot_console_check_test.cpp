// The verify-boot reader on console text shaped like the spec's real ESP32-S3 boot (docs/boot-behaviour.md
// §3), written here by hand rather than taken from the emulator.
#include "station/boot_console_check.hpp"

#include <gtest/gtest.h>

namespace espfab::station {
namespace {

const char* kGoodBoot =
    "ESP-ROM:esp32s3-20210327\r\n"
    "Build:Mar 27 2021\r\n"
    "rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)\r\n"
    "SPIWP:0xee\r\n"
    "mode:DIO, clock div:1\r\n"
    "Valid secure boot key blocks: 0\r\n"
    "secure boot verification succeeded\r\n"
    "load:0x3fce2810,len:0x178c\r\n"
    "entry 0x403c8700\r\n"
    "I (31) boot: ESP-IDF v5.5.1 2nd stage bootloader\r\n"
    "I (52) boot: Loaded app from partition at offset 0x120000\r\n"
    "I (53) secure_boot_v2: secure boot v2 is already enabled, continuing..\r\n"
    "I (54) boot: Checking flash encryption...\r\n"
    "I (55) flash_encrypt: flash encryption is enabled (0 plaintext flashes left)\r\n"
    "I (60) app_init: Project name:     widget\r\n"
    "I (61) app_init: App version:      3.1.4\r\n"
    "I (70) flash_encrypt: Flash encryption mode is RELEASE\r\n"
    "I (80) espfab_identity: serial=ESP-000042 cert_sha256=ab12 flash_encryption=on secure_boot=on\r\n"
    "I (81) main_task: Returned from app_main()\r\n";

TEST(BootConsoleCheck, ReadsEveryFactOfAGoodLockedDownBoot) {
  const auto f = read_boot_console(kGoodBoot);
  EXPECT_TRUE(f.rom_banner);
  EXPECT_TRUE(f.secure_boot_verified);
  EXPECT_TRUE(f.secure_boot_already_enabled);
  EXPECT_EQ(f.plaintext_flashes_left, 0u);
  EXPECT_EQ(f.loaded_app_offset, 0x120000u);
  EXPECT_EQ(f.project_name, "widget");
  EXPECT_EQ(f.app_version, "3.1.4");
  EXPECT_EQ(f.fe_release, true);
  EXPECT_EQ(f.identity_serial, "ESP-000042");
  EXPECT_EQ(f.identity_cert_sha256, "ab12");
  EXPECT_TRUE(f.app_returned);
  EXPECT_TRUE(f.errors.empty());
  EXPECT_TRUE(boot_console_complete(kGoodBoot));
}

TEST(BootConsoleCheck, FailuresAreCollected) {
  const std::string rom_refuses = "ESP-ROM:esp32s3-20210327\r\nsecure boot verification failed\r\nets_main.c 329\r\n";
  const auto f = read_boot_console(rom_refuses);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_FALSE(f.secure_boot_verified);
  EXPECT_TRUE(boot_console_complete(rom_refuses));

  const std::string plaintext =
      "ESP-ROM:esp32s3-20210327\r\ninvalid header: 0x1e4ad2c1\r\ninvalid header: 0x1e4ad2c1\r\n";
  EXPECT_EQ(read_boot_console(plaintext).errors.size(), 2u);
  EXPECT_TRUE(boot_console_complete(plaintext));
  EXPECT_FALSE(boot_console_complete("ESP-ROM:esp32s3-20210327\r\ninvalid header: 0x1e4ad2c1\r\n"))
      << "one line could still be followed by more";

  const auto e_line = read_boot_console(
      "E (45) esp_image: image at 0x120000 has invalid magic byte\r\n"
      "E (46) other_tag: not a boot failure\r\n");
  ASSERT_EQ(e_line.errors.size(), 1u);
  EXPECT_NE(e_line.errors[0].find("esp_image"), std::string::npos);
}

TEST(BootConsoleCheck, DevelopmentModeAndMissingIdentityAreVisible) {
  const auto f = read_boot_console(
      "W (70) flash_encrypt: Flash encryption mode is DEVELOPMENT (not secure)\r\n"
      "W (80) espfab_identity: no device certificate in esp_secure_cert partition\r\n");
  EXPECT_EQ(f.fe_release, false);
  EXPECT_FALSE(f.identity_serial.has_value());
  EXPECT_EQ(f.errors.size(), 1u);
  EXPECT_FALSE(boot_console_complete("I (31) boot: ESP-IDF v5.5.1 2nd stage bootloader\r\n"));
}

}  // namespace
}  // namespace espfab::station
