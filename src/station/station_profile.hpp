// The station profile (TOML, docs/station-profile.md): which images, which test plan, how devices
// get their identity, the security lock-down, serial numbers, fixtures and where the station keeps
// its data. Every problem in a profile is reported at once, each with file:line:column.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "label/label_format.hpp"
#include "label/label_layout.hpp"
#include "pki/ca_backend.hpp"
#include "pki/cmp_ca.hpp"
#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/pkcs11_ca.hpp"
#include "registry/broker_settings.hpp"
#include "registry/manifest_registrar.hpp"
#include "security/burn_plan.hpp"

namespace espfab::station {

// One measurement of the hardware test (docs/firmware-contract.md): the request that
// produces it and the limits its value must meet.
struct MeasurementSpec {
  enum class Kind { GpioLoopback, Sensor, WifiRssi, MemTest, Adc };
  std::string name;  // "gpio.4_5", "temp", "wifi.FACTORY-AP.rssi"
  Kind kind = Kind::GpioLoopback;
  int gpio_out = 0, gpio_in = 0;  // GpioLoopback
  std::string target;             // Sensor: sensor name; WifiRssi: SSID; MemTest: region
  int channel = 0;                // Adc
  std::optional<double> min, max;
  std::string unit;
};

struct TestPlan {
  std::vector<MeasurementSpec> measurements;
  unsigned request_timeout_ms = 5000;  // per request; wifi_scan gets twice this
  unsigned boot_timeout_ms = 10000;    // from reset to the factory-test ready line
};

struct SerialScheme {
  std::string prefix = "ESP-";
  unsigned width = 6;
  std::uint64_t first = 1;
};

// Where the device keeps its private key (docs/identity.md, "Choosing a container").
enum class IdentityContainer {
  SecureCert,  // esp_secure_cert partition with the plaintext key (flash encryption protects it)
  Ds,          // RSA key sealed for the Digital Signature peripheral; the HMAC key in an eFuse key block
};

struct IdentitySpec {
  IdentityContainer container = IdentityContainer::SecureCert;
  pki::KeyType key_type = pki::KeyType::EcP256;  // RSA 2048/3072 (`rsa_bits`) with container "ds"
  unsigned ds_key_block = 5;  // container "ds": BLOCK_KEY0..5 for the HMAC_DOWN_DIGITAL_SIGNATURE key
  pki::SubjectTemplate subject;
  pki::IssueProfile issue;
};

// A data image (SPIFFS, FAT, LittleFS, a model ...) for one partition, written with the production
// firmware: encrypted when its partition has the `encrypted` flag and flash encryption is on.
struct DataImage {
  std::string partition;                // the partition's name, or "" when only the offset is known
  std::optional<std::uint32_t> offset;  // from an ESP-IDF build's flasher_args.json
  std::filesystem::path file;
};

struct StationImages {
  std::filesystem::path bootloader;        // signed when Secure Boot is on
  std::filesystem::path partition_table;   // CSV or binary
  std::filesystem::path factory_test_app;  // esp_app_desc project name "factory-test"
  std::filesystem::path production_app;    // signed when Secure Boot is on
  // An ESP-IDF build directory the files above come from (each one named explicitly wins), and
  // another one for the factory-test app; empty when the files are named one by one.
  std::filesystem::path idf_build;
  std::filesystem::path factory_test_idf_build;
  // The app partitions by name; "" = the default: the production app in ota_0 (factory when the
  // table has no OTA slot), the factory-test app in factory (the production slot when there is
  // none, overwritten later).
  std::string production_slot;
  std::string factory_test_slot;
  std::vector<DataImage> data;
  std::string flash_size;                       // "8MB": checked against the build; "" = not checked
  std::optional<std::uint32_t> secure_version;  // the production app's anti-rollback version, if checked
};

// The [images] keys that hold paths (relative to the profile file).
inline constexpr const char* kImagePathKeys[] = {"bootloader",     "partition_table", "factory_test_app",
                                                 "production_app", "idf_build",       "factory_test_idf_build"};

// [registration]: the broker's allowed list (when `broker` is set) or a manifest file.
struct RegistrationSpec {
  std::optional<registry::BrokerSettings> broker;
  std::filesystem::path manifest;  // used when there is no broker
  registry::ManifestFormat manifest_format = registry::ManifestFormat::JsonLines;
  // After registration, boot the device and wait for its own MQTT hello (the production firmware
  // connects with the identity it was given): proves identity injection end to end.
  bool device_hello = false;
  unsigned hello_timeout_ms = 15000;
};

// [label]: where labels go (files in a directory, a CUPS queue, a raw TCP 9100 printer) and their size.
struct LabelSpec {
  enum class Printer { Directory, Cups, RawTcp };
  Printer printer = Printer::Directory;
  std::vector<label::LabelFormat> formats{label::LabelFormat::Png};  // Directory
  std::string queue;                                                 // Cups
  std::string host;                                                  // RawTcp
  std::uint16_t port = 9100;
  label::LabelSize size;
};

struct StationProfile {
  std::filesystem::path file;
  std::string sha256;  // of the profile text, in every device record
  std::string station_id = "station-1";
  std::filesystem::path data_dir;  // station.db, records/, labels/, audit.jsonl, events.jsonl
  std::uint32_t baud = 921600;
  bool auto_baud = false;  // baud = "auto" ([station] or [fixtures]): loader/auto_baud.hpp, per fixture
  // The flasher stub (esptool's JSON format): `stub = FILE`; `stub = "none"` = the ROM loader only;
  // no key = the search of loader/stub_locator.hpp (ESPFAB_STUB, the installed esptool-js package).
  std::filesystem::path stub;
  bool stub_disabled = false;
  // The station DB: empty = SQLite in data_dir; else the line's PostgreSQL (station_db_factory.hpp),
  // its password from the variable database_password_env or the 0600 file database_password_file.
  std::string database;
  std::string database_password_env;
  std::filesystem::path database_password_file;
  // With the shared DB: serials are leased in blocks of this many (serial_lease.hpp); 0 = each one
  // allocated on the server.
  unsigned serial_lease = 0;
  std::vector<std::string> ports;  // one fixture per port URL
  // The outbox (registrations, labels that failed): retried every outbox_retry_ms while the
  // station runs; at the end of a run the station waits up to outbox_wait_s for it to drain.
  unsigned outbox_retry_ms = 2000;
  unsigned outbox_wait_s = 30;
  // With the shared DB: how long a station's claim on an outbox item holds before another station
  // may take the item over (it must outlast one delivery).
  unsigned outbox_claim_s = 300;
  // A faulted device whose eFuses are consistent with its plan resumes when its fixture sees it
  // again (else it waits for `espfab device resume`).
  bool auto_resume = true;
  StationImages images;
  TestPlan test;
  IdentitySpec identity;
  // [ca]: backend = "local" (ca_dir), "pkcs11" (an HSM token) or "cmp" (a remote CA).
  enum class CaBackendKind { Local, Pkcs11, Cmp };
  CaBackendKind ca_backend = CaBackendKind::Local;
  std::filesystem::path ca_dir;
  pki::Pkcs11CaConfig pkcs11;
  pki::CmpCaConfig cmp;
  security::SecurityProfile security;
  std::vector<std::string> security_opt_outs;  // "secure_boot = false", ...: a warning on every run and record
  SerialScheme serial;
  RegistrationSpec registration;
  LabelSpec label;
  std::filesystem::path labels_dir;  // [label] dir: the Directory printer's files
};

enum class ProfileUse {
  Station,  // a run or a check: every file the profile names must be there and valid
  Records,  // reports and audits of a (possibly archived) data dir: the images, keys and the other
            // files it names are not read ([images] and [security] are skipped); the syntax is checked
};

// Throws BadInputError("station.profile") listing every problem.
StationProfile load_station_profile(const std::filesystem::path& path, ProfileUse use = ProfileUse::Station);

// "ESP-000042"
std::string format_serial(const SerialScheme& scheme, std::uint64_t number);

}  // namespace espfab::station
