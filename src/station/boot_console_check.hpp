// Reads the console of a normal boot the way an engineer would (docs/boot-behaviour.md
// §3.4): ROM, 2nd-stage bootloader and app lines as real ESP32-S3 devices print them, plus the
// production firmware's identity line (docs/emulator.md, "Apps"). The verify-boot step compares
// the findings with what the station expects.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace espfab::station {

struct BootFindings {
  bool rom_banner = false;                         // "ESP-ROM:esp32s3-"
  bool secure_boot_verified = false;               // ROM: "secure boot verification succeeded"
  bool secure_boot_already_enabled = false;        // 2nd stage: "secure boot v2 is already enabled"
  std::optional<unsigned> plaintext_flashes_left;  // "flash encryption is enabled (N plaintext flashes left)"
  std::optional<std::uint32_t> loaded_app_offset;  // "Loaded app from partition at offset 0x..."
  std::string project_name;                        // app: "Project name:"
  std::string app_version;                         // app: "App version:"
  std::optional<bool> fe_release;                  // app: "Flash encryption mode is RELEASE|DEVELOPMENT"
  // espfab_identity line of the production firmware.
  std::optional<std::string> identity_serial;
  std::optional<std::string> identity_cert_sha256;
  bool app_returned = false;        // "main_task: Returned from app_main()"
  std::vector<std::string> errors;  // "invalid header", "secure boot verification failed", E lines
};

BootFindings read_boot_console(std::string_view console);

// True once the console holds a complete boot (the app finished start-up) or a failure after
// which nothing more will come.
bool boot_console_complete(std::string_view console);

}  // namespace espfab::station
