#include "station/idf_build_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

// A build for the ESP32-S3 with everything security-related off, like a fresh `idf.py build`.
image::IdfBuild open_build() {
  image::IdfBuild build;
  build.dir = "/builds/my-product";
  build.chip = "esp32s3";
  build.flash_size = "8MB";
  build.sdkconfig = {{"IDF_TARGET", std::string("esp32s3")}, {"ESPTOOLPY_FLASHSIZE", std::string("8MB")}};
  return build;
}

// Secure Boot V2 and flash encryption (release, XTS-AES-128) on.
image::IdfBuild secure_build() {
  auto build = open_build();
  for (const char* key :
       {"SECURE_BOOT", "SECURE_BOOT_V2_ENABLED", "SECURE_BOOT_BUILD_SIGNED_BINARIES", "SECURE_FLASH_ENC_ENABLED",
        "SECURE_FLASH_ENCRYPTION_MODE_RELEASE", "SECURE_FLASH_ENCRYPTION_AES128"}) {
    build.sdkconfig[key] = true;
  }
  return build;
}

IdfBuildExpectations secure_profile() {
  return {.secure_boot = true,
          .flash_encryption = security::XtsKeyLength::Aes128,
          .flash_encryption_release = true,
          .flash_size = "8MB",
          .secure_version = std::nullopt};
}

// Secure Boot and flash encryption off, 8 MB flash.
IdfBuildExpectations open_profile() {
  IdfBuildExpectations expected;
  expected.flash_size = "8MB";
  return expected;
}

std::vector<std::string> keys(const std::vector<IdfBuildProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.key);
  return out;
}

TEST(IdfBuildCheck, AnOpenBuildFitsAnOpenProfileAndASecureBuildASecureProfile) {
  EXPECT_TRUE(check_idf_build(open_build(), open_profile(), "build").empty());
  EXPECT_TRUE(check_idf_build(secure_build(), secure_profile(), "build").empty());  // no app file to check
}

TEST(IdfBuildCheck, EveryContradictionNamesItsSdkconfigKey) {
  auto other_chip = open_build();
  other_chip.chip = "esp32c3";
  EXPECT_EQ(keys(check_idf_build(other_chip, {}, "build")), std::vector<std::string>{"IDF_TARGET"});

  const auto open_against_secure = keys(check_idf_build(open_build(), secure_profile(), "build"));
  EXPECT_EQ(open_against_secure,
            (std::vector<std::string>{"SECURE_BOOT", "SECURE_BOOT_V2_ENABLED", "SECURE_FLASH_ENC_ENABLED"}));

  const auto secure_against_open = keys(check_idf_build(secure_build(), open_profile(), "build"));
  EXPECT_EQ(secure_against_open,
            (std::vector<std::string>{"SECURE_BOOT", "SECURE_BOOT_V2_ENABLED", "SECURE_FLASH_ENC_ENABLED"}))
      << "a bootloader that would burn eFuses on its own is refused too";

  auto development = secure_build();
  development.sdkconfig["SECURE_FLASH_ENCRYPTION_MODE_RELEASE"] = false;
  EXPECT_EQ(keys(check_idf_build(development, secure_profile(), "build")),
            std::vector<std::string>{"SECURE_FLASH_ENCRYPTION_MODE_RELEASE"});

  auto aes256 = secure_build();
  aes256.sdkconfig["SECURE_FLASH_ENCRYPTION_AES128"] = false;
  aes256.sdkconfig["SECURE_FLASH_ENCRYPTION_AES256"] = true;
  EXPECT_EQ(keys(check_idf_build(aes256, secure_profile(), "build")),
            std::vector<std::string>{"SECURE_FLASH_ENCRYPTION_AES256"});

  auto four_mb = secure_build();
  four_mb.sdkconfig["ESPTOOLPY_FLASHSIZE"] = std::string("4MB");
  four_mb.flash_size = "4MB";
  EXPECT_EQ(keys(check_idf_build(four_mb, secure_profile(), "build")),
            (std::vector<std::string>{"ESPTOOLPY_FLASHSIZE", "flasher_args.json"}));

  auto rollback = secure_build();
  rollback.sdkconfig["BOOTLOADER_APP_ANTI_ROLLBACK"] = true;
  rollback.sdkconfig["BOOTLOADER_APP_SECURE_VERSION"] = std::int64_t{2};
  auto expect_three = secure_profile();
  expect_three.secure_version = 3;
  EXPECT_EQ(keys(check_idf_build(rollback, expect_three, "build")),
            std::vector<std::string>{"BOOTLOADER_APP_SECURE_VERSION"});
}

TEST(IdfBuildCheck, AnUnsignedAppUnderSecureBootNamesTheSigningOption) {
  test::TempDir dir;
  auto build = secure_build();
  build.sdkconfig["SECURE_BOOT_BUILD_SIGNED_BINARIES"] = false;  // remote signing, not done yet
  build.app = image::IdfFlashFile{.name = "app", .offset = 0x20000, .file = dir / "app.bin", .encrypted = true};
  write_file_atomic(build.app->file, Bytes(0x1000, 0xE9));
  const auto problems = check_idf_build(build, secure_profile(), "[images] idf_build");
  ASSERT_EQ(keys(problems), std::vector<std::string>{"SECURE_BOOT_BUILD_SIGNED_BINARIES"});
  EXPECT_NE(problems[0].message.find("not signed"), std::string::npos) << problems[0].message;
  EXPECT_NE(problems[0].message.find("[images] idf_build /builds/my-product"), std::string::npos)
      << problems[0].message;
  EXPECT_NE(problems[0].hint.find("espfab secure-boot sign"), std::string::npos);
}

TEST(IdfBuildCheck, AFactoryTestBuildIsCheckedForChipAndFlashOnly) {
  auto build = open_build();  // no security options: it runs before the eFuses are burned
  EXPECT_TRUE(check_idf_build(build, secure_profile(), "factory-test build", true).empty());
  build.chip = "esp32";
  EXPECT_EQ(keys(check_idf_build(build, secure_profile(), "factory-test build", true)),
            std::vector<std::string>{"IDF_TARGET"});
}

}  // namespace
}  // namespace espfab::station
