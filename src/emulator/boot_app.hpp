// The app's part of a boot (docs/boot-behaviour.md §3.2, checklist 17-18): ESP-IDF's
// start-up lines built from the flashed image's esp_app_desc_t, the flash-encryption mode line, and
// the emulator's two apps: the factory-test app (project name "factory-test"; its JSON-lines
// protocol is docs/firmware-contract.md) and any other app as the production firmware, which
// reports the identity it finds in its own esp_secure_cert partition (docs/emulator.md, "Apps"):
//   I (<ms>) espfab_identity: serial=<certificate CN> cert_sha256=<SHA-256 of the certificate DER>
//            flash_encryption=on|off secure_boot=on|off
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "emulator/boot_console.hpp"
#include "emulator/boot_context.hpp"
#include "emulator/boot_loader.hpp"
#include "image/secure_cert_tlv.hpp"

namespace espfab::emulator {

inline constexpr const char* kFactoryTestProject = "factory-test";

struct DeviceIdentity {
  std::string serial;       // the certificate's subject CN
  std::string cert_sha256;  // lowercase hex of SHA-256 over the certificate DER
};

// The esp_secure_cert partition (type 0x3F) read through the cache (decrypted when FE is on):
// certificates and the private key (a SecretBytes; the partition buffer is wiped). Nothing when
// there is no such partition or its records do not hold a device certificate and key.
std::optional<image::SecureCertIdentity> read_secure_cert(const BootContext& context,
                                                          const image::PartitionTable& table);
// The same partition holding a DS identity (certificates and the sealed DS parameters, no private
// key); nothing when it holds none.
std::optional<image::SecureCertDsIdentity> read_secure_cert_ds(const BootContext& context,
                                                               const image::PartitionTable& table);
// The identity of a PEM certificate; nothing when it does not parse or has no CN.
std::optional<DeviceIdentity> identity_of_certificate(std::string_view pem);
// The device certificate in the esp_secure_cert partition: the two above.
std::optional<DeviceIdentity> read_device_identity(const BootContext& context, const image::PartitionTable& table);

// Prints the app's start-up lines; returns the project name of the app that runs.
std::string run_app_startup(const BootContext& context, BootConsole& console, const LoadedApp& app);

}  // namespace espfab::emulator
