// Synthetic ESP32-S3 images for tests and rehearsals, made without a toolchain: an app with an
// esp_app_desc_t (project name, version, secure_version), the firmware contract's strings in its
// read-only data (docs/firmware-contract.md) and deterministic, poorly compressible code; and a
// bootloader with an esp_bootloader_desc_t. `espfab demo` and `espfab image build` without --elf
// make their images here. They pass every host-side check (image info, the preflight's contract
// scan, Secure Boot signing); the emulator runs them as the factory-test app (project name
// "factory-test") or as the production app.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/bytes.hpp"

namespace espfab::service {

// Which contract strings the app's read-only data carries: the factory-test ready line's format, or
// the production app's identity log tag and format.
enum class FirmwareRole { FactoryTest, Production };

struct TestAppSpec {
  std::string project_name = "espfab-test-app";
  std::string version = "1.0.0";
  std::uint32_t secure_version = 0;
  FirmwareRole role = FirmwareRole::Production;
  std::size_t code_size = 0x10000;  // bytes of filler code in the app's .flash.text
  // Header byte 2 and 3 (esptool's names are parsed by the caller): DIO, 8MB at 80 MHz by default.
  std::uint8_t flash_mode = 2;
  std::uint8_t flash_size_freq = 0x3F;
};

// Throws BadInputError (image.desc_field_too_long) when the project name or version does not fit
// esp_app_desc_t's 32-byte fields.
Bytes build_test_app_image(const TestAppSpec& spec);

// A bootloader image (descriptor version 1) with the same flash parameters as the demo's apps.
Bytes build_test_bootloader_image();

}  // namespace espfab::service
