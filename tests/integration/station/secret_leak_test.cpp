// After a station run nothing the station wrote holds a device secret: the test takes each
// provisioned chip's identity private key and flash-encryption key out of the emulated chip
// itself (its eFuse and flash files: the XTS key the engine uses, the esp_secure_cert partition
// decrypted with it) and searches every file under the demo directory (station DB and its WAL,
// records, audit log, events, manifest, labels, CA, debug log) and the command's output for them,
// in every form they could take: PEM, DER, raw private scalar, key-file and eFuse byte orders.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emulator/boot_context.hpp"
#include "emulator/virtual_device.hpp"
#include "image/secure_cert_tlv.hpp"
#include "security/flash_encryption.hpp"
#include "support/run_command.hpp"
#include "support/secret_scan.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

constexpr std::uint32_t kSecureCertOffset = 0xD000;  // the demo partition table
constexpr std::uint32_t kSecureCertSize = 0x2000;

Bytes to_bytes(ByteView view) { return Bytes(view.begin(), view.end()); }

// Every form of the device's private key a careless station could have written.
std::vector<Bytes> key_forms(const SecretBytes& pem) {
  std::vector<Bytes> forms{to_bytes(pem.view())};
  const auto key = crypto::load_private_key_pem(pem);
  unsigned char* der = nullptr;
  const int der_length = i2d_PrivateKey(key.get(), &der);
  EXPECT_GT(der_length, 0);
  forms.emplace_back(der, der + der_length);
  OPENSSL_free(der);
  BIGNUM* scalar = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), "priv", &scalar) == 1) {
    Bytes raw(static_cast<std::size_t>(BN_num_bytes(scalar)));
    BN_bn2bin(scalar, raw.data());
    BN_free(scalar);
    forms.push_back(raw);
    const std::string hex = to_hex(raw);
    forms.emplace_back(hex.begin(), hex.end());
  }
  // The base64 body of the PEM (a log line might hold just that).
  const std::string text(pem.view().begin(), pem.view().end());
  const auto body = text.find('\n') + 1;
  forms.emplace_back(text.begin() + static_cast<std::ptrdiff_t>(body),
                     text.begin() + static_cast<std::ptrdiff_t>(body + 64));
  return forms;
}

TEST(StationSecrets, NoDeviceKeyInAnythingTheStationWrote) {
  TempDir dir;
  const auto log_file = dir / "espfab-debug.log";
  const auto demo =
      run_espfab({"--log-level", "trace", "--log-file", log_file.string(), "demo", "--dir", dir.path().string(),
                  "--json", "--emulator", (build_dir() / "apps" / "espfab-emu" / "espfab-emu").string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  const auto summary = nlohmann::json::parse(demo.out);

  std::vector<Bytes> secrets;
  unsigned provisioned = 0;
  for (unsigned index = 0; index < summary["devices"].size(); ++index) {
    const auto state = dir / "devices" / ("dev" + std::to_string(index));
    emulator::DeviceConfig config;
    config.state_dir = state;
    emulator::VirtualDevice chip(config);
    const auto engine = emulator::engine_flash_key(chip.efuse());
    if (!engine) continue;  // the rejected board: never locked down
    ++provisioned;
    const auto fe_key =
        std::optional<security::FlashEncryptionKey>(std::in_place, SecretBytes(engine->key_file_bytes().view()));
    const auto& key_file = fe_key->key_file_bytes();
    secrets.push_back(to_bytes(key_file.view()));
    secrets.push_back(to_bytes(fe_key->efuse_block_bytes(0).view()));
    const std::string key_hex = to_hex(key_file.view());
    secrets.emplace_back(key_hex.begin(), key_hex.end());

    const ByteView ciphertext = chip.flash().view(kSecureCertOffset, kSecureCertSize);
    const Bytes partition = security::decrypt_flash_data(*fe_key, kSecureCertOffset, ciphertext);
    const auto identity = image::read_secure_cert_identity(partition);
    ASSERT_TRUE(contains_bytes(partition, key_forms(identity.private_key)[0])) << "the scan's own check";
    for (auto& form : key_forms(identity.private_key)) secrets.push_back(std::move(form));
  }
  ASSERT_EQ(provisioned, 5u);

  // Everything the station and the demo wrote; devices/ is the emulated chips' own state (their
  // flash and the eFuse file that hides the key), the one place the secrets belong.
  for (const char* written : {"station-data", "ca", "images", "keys"}) {
    const auto found = files_containing(dir / written, secrets);
    EXPECT_TRUE(found.empty()) << "secret bytes in " << written << "/" << found.front();
  }
  for (const auto& file : {log_file, dir / "emulator.log", dir / "station.toml"}) {
    const Bytes content = read_file(file);
    for (const auto& secret : secrets) EXPECT_FALSE(contains_bytes(content, secret)) << file;
  }
  for (const auto& secret : secrets) {
    EXPECT_FALSE(contains_bytes(demo.out, secret));
    EXPECT_FALSE(contains_bytes(demo.err, secret));
  }
  EXPECT_GT(std::filesystem::file_size(log_file), 10000u) << "the trace log was written";
  // The scan finds what it looks for: the chip's eFuse file holds the flash-encryption key.
  EXPECT_FALSE(files_containing(dir / "devices", {secrets[0], secrets[1]}).empty());
}

}  // namespace
}  // namespace espfab::test
