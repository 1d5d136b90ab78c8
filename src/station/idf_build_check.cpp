#include "station/idf_build_check.hpp"

#include <fmt/format.h>

#include "image/app_image.hpp"
#include "security/secure_boot_v2.hpp"
#include "util/file_io.hpp"

namespace espfab::station {
namespace {

constexpr const char* kRebuildHint =
    "change the build's configuration (idf.py menuconfig) or the profile so they agree, "
    "then rebuild";

std::string on_off(bool on) { return on ? "on" : "off"; }

class Checker {
 public:
  Checker(const image::IdfBuild& build, std::string role) : build_(build), role_(std::move(role)) {}

  void add(std::string key, std::string message, std::string hint = kRebuildHint) {
    problems_.push_back(
        {std::move(key), fmt::format("{} {}: {}", role_, build_.dir.string(), message), std::move(hint)});
  }

  // A y/n option that must be `want`; an absent option counts as n.
  void expect_flag(const std::string& key, bool want, const std::string& why) {
    const bool is = build_.flag(key).value_or(false);
    if (is != want) add(key, fmt::format("sdkconfig {} is {}, but {}", key, is ? "y" : "n", why));
  }

  std::vector<IdfBuildProblem> take() { return std::move(problems_); }

 private:
  const image::IdfBuild& build_;
  std::string role_;
  std::vector<IdfBuildProblem> problems_;
};

void check_chip(const image::IdfBuild& build, Checker& check) {
  if (build.chip != "esp32s3") {
    check.add(
        "IDF_TARGET",
        fmt::format("the build is for '{}', not the ESP32-S3", build.chip.empty() ? "an unknown chip" : build.chip),
        "set the target with `idf.py set-target esp32s3` and rebuild");
  }
}

void check_flash_size(const image::IdfBuild& build, const IdfBuildExpectations& expected, Checker& check) {
  if (expected.flash_size.empty()) return;
  if (const auto size = build.text("ESPTOOLPY_FLASHSIZE"); size && *size != expected.flash_size) {
    check.add("ESPTOOLPY_FLASHSIZE",
              fmt::format("sdkconfig ESPTOOLPY_FLASHSIZE is {}, the profile's [images] flash_size {}", *size,
                          expected.flash_size));
  }
  if (!build.flash_size.empty() && build.flash_size != expected.flash_size && build.flash_size != "keep" &&
      build.flash_size != "detect") {
    check.add("flasher_args.json", fmt::format("flash_settings.flash_size is {}, the profile's [images] flash_size {}",
                                               build.flash_size, expected.flash_size));
  }
}

void check_secure_boot(const image::IdfBuild& build, const IdfBuildExpectations& expected, Checker& check) {
  const std::string why =
      fmt::format("the profile has Secure Boot V2 {} ([security] secure_boot_keys)", on_off(expected.secure_boot));
  check.expect_flag("SECURE_BOOT", expected.secure_boot, why);
  check.expect_flag("SECURE_BOOT_V2_ENABLED", expected.secure_boot, why);
  if (!expected.secure_boot || !build.app) return;
  const Bytes app = read_file(build.app->file);
  if (security::signature_info(app).empty()) {
    check.add("SECURE_BOOT_BUILD_SIGNED_BINARIES",
              fmt::format("the app {} is not signed (sdkconfig SECURE_BOOT_BUILD_SIGNED_BINARIES is {}), and the "
                          "profile turns Secure Boot V2 on: a locked chip would refuse it",
                          build.app->file.string(),
                          build.flag("SECURE_BOOT_BUILD_SIGNED_BINARIES").value_or(false) ? "y" : "n"),
              "sign the app (espfab secure-boot sign) and name the signed file as [images] production_app, or build "
              "with SECURE_BOOT_BUILD_SIGNED_BINARIES=y");
  }
}

void check_flash_encryption(const image::IdfBuild& build, const IdfBuildExpectations& expected, Checker& check) {
  const bool fe = expected.flash_encryption.has_value();
  check.expect_flag("SECURE_FLASH_ENC_ENABLED", fe,
                    fmt::format("the profile has flash encryption {} ([security] flash_encryption)", on_off(fe)));
  if (!fe || !build.flag("SECURE_FLASH_ENC_ENABLED").value_or(false)) return;
  check.expect_flag("SECURE_FLASH_ENCRYPTION_MODE_RELEASE", expected.flash_encryption_release,
                    fmt::format("the profile's flash_encryption_mode is {}",
                                expected.flash_encryption_release ? "release" : "development"));
  const bool aes256 = *expected.flash_encryption == security::XtsKeyLength::Aes256;
  if (build.flag(aes256 ? "SECURE_FLASH_ENCRYPTION_AES128" : "SECURE_FLASH_ENCRYPTION_AES256").value_or(false)) {
    const std::string key = aes256 ? "SECURE_FLASH_ENCRYPTION_AES128" : "SECURE_FLASH_ENCRYPTION_AES256";
    check.add(key, fmt::format("sdkconfig {} is y, but the profile's flash_encryption is {}", key,
                               aes256 ? "xts-256" : "xts-128"));
  }
}

void check_secure_version(const image::IdfBuild& build, const IdfBuildExpectations& expected, Checker& check) {
  if (!expected.secure_version) return;
  if (const auto version = build.number("BOOTLOADER_APP_SECURE_VERSION");
      version && build.flag("BOOTLOADER_APP_ANTI_ROLLBACK").value_or(false) && *version != *expected.secure_version) {
    check.add("BOOTLOADER_APP_SECURE_VERSION",
              fmt::format("sdkconfig BOOTLOADER_APP_SECURE_VERSION is {}, the profile's [images] secure_version {}",
                          *version, *expected.secure_version));
  }
  if (!build.app) return;
  const auto app = image::parse_app_image(read_file(build.app->file));
  if (app.app_descriptor && app.app_descriptor->secure_version != *expected.secure_version) {
    check.add("BOOTLOADER_APP_SECURE_VERSION",
              fmt::format("the app's esp_app_desc_t secure_version is {}, the profile's [images] secure_version {}",
                          app.app_descriptor->secure_version, *expected.secure_version));
  }
}

}  // namespace

std::vector<IdfBuildProblem> check_idf_build(const image::IdfBuild& build, const IdfBuildExpectations& expected,
                                             const std::string& build_role, bool factory_test) {
  Checker check(build, build_role);
  check_chip(build, check);
  check_flash_size(build, expected, check);
  if (!factory_test) {
    check_secure_boot(build, expected, check);
    check_flash_encryption(build, expected, check);
    check_secure_version(build, expected, check);
  }
  return check.take();
}

}  // namespace espfab::station
