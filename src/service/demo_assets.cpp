#include "service/demo_assets.hpp"

#include <fmt/format.h>

#include "image/app_descriptor.hpp"
#include "image/image_builder.hpp"
#include "pki/local_ca.hpp"
#include "security/sbv2_key.hpp"
#include "security/secure_boot_v2.hpp"
#include "station/preflight.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

constexpr std::uint8_t kFlashModeDio = 2;
constexpr std::uint8_t kFlash8MbAt80Mhz = 0x3F;

// Deterministic filler so the images have realistic (poorly compressible) contents.
Bytes filler(std::size_t size, std::uint32_t seed) {
  Bytes out(size);
  std::uint32_t x = seed;
  for (auto& byte : out) {
    x = x * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

// The firmware contract's strings a real build of the espfab components carries in its read-only
// data (the preflight looks for them): the factory-test ready line's format, the identity log tag.
std::string contract_strings(const std::string& project) {
  if (project == "factory-test") {
    return R"({"ft":1,"event":"ready","fw":"factory-test","version":"%s","mac":"%s"})" + std::string(1, '\0');
  }
  return std::string(station::kIdentityLogTag) + std::string(1, '\0') + "serial=%s cert_sha256=%s" +
         std::string(1, '\0');
}

Bytes build_app(const std::string& project, const std::string& version, std::size_t code_size) {
  image::AppDescriptor desc;
  desc.version = version;
  desc.project_name = project;
  desc.time = "12:00:00";
  desc.date = "Dec  2 2026";
  desc.idf_version = "v5.5.1";
  std::vector<image::SegmentInput> segments;
  Bytes rodata = image::serialize_app_descriptor(desc);  // esp_app_desc_t, then .rodata
  const std::string strings = contract_strings(project);
  rodata.insert(rodata.end(), strings.begin(), strings.end());
  segments.push_back({0x3C000020, std::move(rodata), ".flash.appdesc", 0});
  segments.push_back(
      {0x42000020, filler(code_size, static_cast<std::uint32_t>(code_size)), ".flash.text", image::kSegmentExecutable});
  segments.push_back({0x40370000, filler(0x400, 7), ".iram0.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = 0x40370000;
  options.flash_mode = kFlashModeDio;
  options.flash_size_freq = kFlash8MbAt80Mhz;
  return image::build_image(std::move(segments), options);
}

Bytes build_bootloader() {
  image::BootloaderDescriptor desc;
  desc.version = 1;
  desc.idf_version = "v5.5.1";
  desc.date_time = "Dec  2 2026 12:00:00";
  std::vector<image::SegmentInput> segments;
  segments.push_back({0x3FCE2810, image::serialize_bootloader_descriptor(desc), ".dram0.bootdesc", 0});
  segments.push_back({0x403C8700, filler(0x3000, 3), ".iram_loader.text", image::kSegmentExecutable});
  image::ImageBuildOptions options;
  options.entry_point = 0x403C8700;
  options.flash_mode = kFlashModeDio;
  options.flash_size_freq = kFlash8MbAt80Mhz;
  return image::build_image(std::move(segments), options);
}

Bytes signed_with(const Bytes& image, const security::SigningKey& key) {
  const security::SigningKey* keys[] = {&key};
  return security::sign_image(image, keys).image;
}

constexpr const char* kPartitions = R"(# espfab demo: factory-test app first, production app in ota_0
# Name,          Type, SubType,  Offset,   Size,     Flags
esp_secure_cert, 0x3F, ,         0xD000,   0x2000,   encrypted
nvs,             data, nvs,      0x10000,  0x6000,
nvs_keys,        data, nvs_keys, 0x16000,  0x1000,   encrypted
otadata,         data, ota,      0x17000,  0x2000,
phy_init,        data, phy,      0x19000,  0x1000,
factory,         app,  factory,  0x20000,  0x100000,
ota_0,           app,  ota_0,    0x120000, 0x300000,
ota_1,           app,  ota_1,    0x420000, 0x300000,
)";

constexpr const char* kProfile =
    R"(# The espfab demo station (written by `espfab demo`; docs/station-profile.md explains every key).
[station]
id = "demo-station"
data_dir = "station-data"
baud = 921600

[images]
bootloader = "images/bootloader-signed.bin"
partition_table = "images/partitions.csv"
factory_test_app = "images/factory-test.bin"
production_app = "images/production-app-signed.bin"

[test]
request_timeout_ms = 5000
boot_timeout_ms = 10000

[[test.measurement]]
name = "gpio.{out}_{in}"
kind = "gpio_loopback"
pair = [{out}, {in}]

[[test.measurement]]
name = "gpio.6_7"
kind = "gpio_loopback"
pair = [6, 7]

[[test.measurement]]
name = "temp"
kind = "sensor"
sensor = "temp"
min = 0
max = 70
unit = "C"

[[test.measurement]]
name = "wifi.FACTORY-AP.rssi"
kind = "wifi_rssi"
ssid = "FACTORY-AP"
min = -70

[[test.measurement]]
name = "psram"
kind = "mem_test"
region = "psram"

[identity]
key_type = "p256"
container = "secure_cert"
common_name = "{{serial}}"
organization = "espfab demo"
serial_number = "{{mac}}"
validity_days = 3650

[ca]
backend = "local"
dir = "ca"

[serial]
prefix = "DEMO-"
width = 6
first = 1

[security]
flash_encryption = "xts-128"
flash_encryption_mode = "release"
secure_boot_keys = ["keys/secure_boot_signing.pem"]
revoke_unused_digest_slots = true
jtag = "off"
final_lock = "secure-download"

[label]
dir = "station-data/labels"
)";

}  // namespace

DemoAssets prepare_demo_assets(const std::filesystem::path& dir, std::size_t production_app_code) {
  std::filesystem::create_directories(dir / "images");
  std::filesystem::create_directories(dir / "keys");
  if (!std::filesystem::exists(dir / "ca" / "ca.crt")) {
    pki::LocalCaOptions options;
    options.common_name = "espfab Demo CA";
    options.organization = "espfab demo";
    (void)pki::LocalCa::init(dir / "ca", options);
  }
  const auto key_file = dir / "keys" / "secure_boot_signing.pem";
  if (!std::filesystem::exists(key_file)) {
    const auto key = crypto::generate_rsa(security::kSbv2RsaBits);
    const SecretBytes pem = crypto::private_key_pem(key.get());
    write_file_atomic(key_file, pem.view(), 0600);
  }
  const auto signing_key = security::PemSigningKey::from_file(key_file);
  write_file_atomic(dir / "images" / "bootloader-signed.bin", signed_with(build_bootloader(), *signing_key));
  write_file_atomic(dir / "images" / "factory-test.bin", build_app("factory-test", "1.0.0", 0x10000));
  write_file_atomic(dir / "images" / "production-app-signed.bin",
                    signed_with(build_app("espfab-demo-app", "1.0.0", production_app_code), *signing_key));
  write_text_file_atomic(dir / "images" / "partitions.csv", kPartitions);
  write_text_file_atomic(dir / "station.toml", fmt::format(fmt::runtime(kProfile), fmt::arg("out", kDemoLoopbackOut),
                                                           fmt::arg("in", kDemoLoopbackIn)));
  return {dir, dir / "station.toml"};
}

}  // namespace espfab::service
