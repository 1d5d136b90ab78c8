#include "service/demo_assets.hpp"

#include <fmt/format.h>

#include "pki/local_ca.hpp"
#include "security/sbv2_key.hpp"
#include "security/secure_boot_v2.hpp"
#include "service/test_app_image.hpp"
#include "station/preflight.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

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
  write_file_atomic(dir / "images" / "bootloader-signed.bin", signed_with(build_test_bootloader_image(), *signing_key));
  write_file_atomic(dir / "images" / "factory-test.bin",
                    build_test_app_image({.project_name = "factory-test", .role = FirmwareRole::FactoryTest}));
  write_file_atomic(
      dir / "images" / "production-app-signed.bin",
      signed_with(build_test_app_image({.project_name = "espfab-demo-app", .code_size = production_app_code}),
                  *signing_key));
  write_text_file_atomic(dir / "images" / "partitions.csv", kPartitions);
  write_text_file_atomic(dir / "station.toml", fmt::format(fmt::runtime(kProfile), fmt::arg("out", kDemoLoopbackOut),
                                                           fmt::arg("in", kDemoLoopbackIn)));
  return {dir, dir / "station.toml"};
}

}  // namespace espfab::service
