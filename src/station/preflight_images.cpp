// Preflight: the images. They load and verify (chip, checksums, partitions that exist and fit: the
// station's own loader), the signed ones verify against exactly the Secure Boot keys whose digests
// the plan burns, the eFuse plan for a blank chip is accepted by the planner (every refusal it would
// give each device), the flash size in the bootloader's header holds the partition table, and the
// plaintext images carry the firmware contract's markers.
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "chip/esp32s3.hpp"
#include "image/app_image.hpp"
#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"
#include "security/secure_boot_v2.hpp"
#include "station/preflight_checks.hpp"
#include "util/error.hpp"

namespace espfab::station::preflight {
namespace {

bool contains(const Bytes& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

std::string short_digest(const security::KeyDigest& digest) { return to_hex(ByteView(digest.data(), 8)); }

// Every signature on `image` is by a profile key, and one of them verifies as the ROM will check it.
void check_signed(const char* name, const char* key, const Bytes& image, const security::SecurityProfile& security,
                  Findings& findings) {
  const auto& trusted = security.secure_boot_digests;
  std::vector<security::SignatureInfo> signatures;
  try {
    signatures = security::signature_info(image);
  } catch (const Error& error) {
    findings.error("images.signature", key, fmt::format("the {}'s signature sector: {}", name, error.message()),
                   "sign the image again with `espfab secure-boot sign`");
    return;
  }
  if (signatures.empty()) {
    findings.error("images.signature", key, fmt::format("the {} is not signed, and Secure Boot V2 is on", name),
                   "sign it with `espfab secure-boot sign` using a key listed in [security] secure_boot_keys");
    return;
  }
  for (const auto& signature : signatures) {
    if (std::find(trusted.begin(), trusted.end(), signature.key_digest) == trusted.end()) {
      findings.error("images.signature", key,
                     fmt::format("the {} carries a signature (slot {}) by a key whose digest {}… is not in "
                                 "[security] secure_boot_keys: the plan will not burn it",
                                 name, signature.index, short_digest(signature.key_digest)),
                     "sign the image only with the profile's keys, or add that key to secure_boot_keys");
    }
  }
  const auto verified = security::verify_with_digests(image, trusted);
  if (!verified.verified) {
    findings.error("images.signature", key,
                   fmt::format("the {} does not verify with the profile's Secure Boot keys: {}", name, verified.reason),
                   "sign it with `espfab secure-boot sign` using a key listed in [security] secure_boot_keys");
  }
}

// "No fewer": a key whose digest the plan burns but that signs neither image is a spare (key
// rotation) at best and a mistake at worst; said, not refused.
void check_every_key_signs(const FirmwareSet& firmware, const security::SecurityProfile& security, Findings& findings) {
  std::vector<security::KeyDigest> signing;
  for (const auto* image : {firmware.bootloader.get(), firmware.production_app.get()}) {
    try {
      for (const auto& signature : security::signature_info(*image)) signing.push_back(signature.key_digest);
    } catch (const Error&) {
      // check_signed reports a broken signature sector.
    }
  }
  for (std::size_t i = 0; i < security.secure_boot_digests.size(); ++i) {
    const auto& digest = security.secure_boot_digests[i];
    if (std::find(signing.begin(), signing.end(), digest) != signing.end()) continue;
    findings.warning("images.signature", fmt::format("security.secure_boot_keys[{}]", i),
                     fmt::format("secure_boot_keys entry {} (digest {}…) signs neither image: its digest is burned "
                                 "as a spare for key rotation",
                                 i + 1, short_digest(digest)),
                     "if it is not meant as a spare, remove it or sign the images with it");
  }
}

// The planner, run as it will run for a new chip: its refusals would reject every device.
void check_plan(const StationProfile& profile, const FirmwareSet& firmware, Findings& findings) {
  findings.ran("security.plan");
  const std::vector<security::PlanImage> images{{"bootloader", *firmware.bootloader},
                                                {"app", *firmware.production_app}};
  try {
    security::plan_burn(profile.security, security::EfuseImage{}, images);
  } catch (const Error& error) {
    findings.error("security.plan", "security",
                   fmt::format("the eFuse plan for a new chip is refused: {}", error.message()), error.hint());
  }
}

void check_flash_size(const FirmwareSet& firmware, Findings& findings) {
  findings.ran("images.flash_size");
  const auto boot = image::parse_app_image(*firmware.bootloader);
  const auto& chip = chip::kEsp32s3;
  const auto size_name = chip.flash_size_name(boot.header.flash_size_code());
  const auto size = chip.flash_size_bytes(size_name);
  std::uint64_t end = 0;
  std::string last;
  for (const auto& e : firmware.table.entries) {
    if (std::uint64_t{e.offset} + e.size > end) {
      end = std::uint64_t{e.offset} + e.size;
      last = e.name;
    }
  }
  if (size && end > *size) {
    findings.error("images.flash_size", "images.partition_table",
                   fmt::format("the partition table ends at 0x{:x} ('{}'), beyond the {} flash the bootloader's header "
                               "declares",
                               end, last, size_name),
                   "build the bootloader for the module's flash size, or shrink the partition table");
  }
  for (const auto& [name, data] :
       {std::pair{"factory-test app", firmware.factory_app}, std::pair{"production app", firmware.production_app}}) {
    const auto app = image::parse_app_image(*data);
    if (app.header.flash_mode != boot.header.flash_mode || app.header.flash_size_freq != boot.header.flash_size_freq) {
      findings.warning(
          "images.flash_size", "images",
          fmt::format("the {}'s header says flash {} {}, the bootloader's {} {}", name,
                      chip.flash_mode_name(app.header.flash_mode), chip.flash_size_name(app.header.flash_size_code()),
                      chip.flash_mode_name(boot.header.flash_mode), size_name),
          "build the bootloader and the apps from one sdkconfig");
    }
  }
}

void check_contract(const FirmwareSet& firmware, Findings& findings) {
  findings.ran("images.contract");
  if (!contains(*firmware.factory_app, kFactoryTestReadyMarker)) {
    findings.error("images.contract", "images.factory_test_app",
                   fmt::format("the factory-test image does not carry the test protocol's ready line ({}): the "
                               "hardware test would time out on every device",
                               kFactoryTestReadyMarker),
                   "build the factory-test firmware with firmware/components/espfab_factory_test "
                   "(docs/firmware-contract.md)");
  }
  if (!contains(*firmware.production_app, kIdentityLogTag)) {
    findings.error("images.contract", "images.production_app",
                   fmt::format("the production image does not carry the identity log tag '{}': verify-boot could "
                               "not prove the identity after the chip is locked",
                               kIdentityLogTag),
                   "build the production firmware with firmware/components/espfab_identity "
                   "(docs/firmware-contract.md)");
  }
}

}  // namespace

void check_images(const StationProfile& profile, Findings& findings, std::optional<FirmwareSet>& firmware) {
  findings.ran("images.load");
  try {
    firmware = load_firmware_set(profile.images);
  } catch (const BadInputError& error) {
    std::istringstream lines(error.message());
    std::string line;
    std::getline(lines, line);  // "N problem(s) with the station's images:"
    while (std::getline(lines, line)) {
      findings.error("images.load", "images", line.substr(line.find_first_not_of(' ')), error.hint());
    }
    return;
  }
  if (!profile.security.secure_boot_digests.empty()) {
    findings.ran("images.signature");
    check_signed("bootloader", "images.bootloader", *firmware->bootloader, profile.security, findings);
    check_signed("production app", "images.production_app", *firmware->production_app, profile.security, findings);
    check_every_key_signs(*firmware, profile.security, findings);
  }
  check_plan(profile, *firmware, findings);
  check_flash_size(*firmware, findings);
  check_contract(*firmware, findings);
}

}  // namespace espfab::station::preflight
