// Issue 17, end to end with the built binaries: a station run with [identity] container = "ds".
// The device ends provisioned and boots locked down; its production app says hello to a real
// Mosquitto broker with a TLS handshake signed by the emulated DS peripheral (PUBACK 0 or 16).
// A leak scan: the HMAC key (read from the chip's own eFuse array file) and the RSA private key
// (as PKCS#1 DER, as the DS plaintext's little-endian modulus, or as PEM) appear in nothing the
// station wrote nor in the chip's flash; the locked chip does not let the loader read eFuses.
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "security/efuse_image.hpp"
#include "support/emulator_process.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/run_command.hpp"
#include "support/secret_scan.hpp"
#include "support/tcp_line.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The RSA modulus of a PEM certificate, big-endian.
Bytes modulus_of(const std::string& certificate_pem) {
  OpenSslHandle<BIO, BIO_free> bio(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  OpenSslHandle<X509, X509_free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return {};
  BIGNUM* n = nullptr;
  if (EVP_PKEY_get_bn_param(X509_get0_pubkey(cert.get()), "n", &n) != 1) return {};
  Bytes out(static_cast<std::size_t>(BN_num_bytes(n)));
  BN_bn2bin(n, out.data());
  BN_free(n);
  return out;
}

// What would give the device's RSA private key away: its PKCS#1 DER start (version 0, then n), the
// DS plaintext's modulus M (little-endian), and any PEM private key.
std::vector<Bytes> private_key_needles(const Bytes& modulus) {
  const auto length = modulus.size() + 1;  // a leading 0x00: n's top bit is set
  Bytes der{
      0x02, 0x01, 0x00, 0x02, 0x82, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xFF),
      0x00};
  der.insert(der.end(), modulus.begin(), modulus.begin() + 32);
  Bytes little_endian(modulus.rbegin(), modulus.rbegin() + 32);
  return {der, little_endian, to_bytes("PRIVATE KEY")};
}

TEST(StationDsE2e, ADsIdentityDeviceBootsLockedSaysHelloAndItsKeysAreNowhere) {
  TempDir dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  MosquittoBroker broker(dir / "broker", {dir / "ca" / "ca.crt"});
  std::string profile = read_text_file(dir / "station.toml");
  const std::string plain = "key_type = \"p256\"\ncontainer = \"secure_cert\"\n";
  ASSERT_NE(profile.find(plain), std::string::npos) << profile;
  profile.replace(profile.find(plain), plain.size(), "container = \"ds\"\n");  // RSA 3072, BLOCK_KEY5
  profile += fmt::format(
      "\n[registration]\nbroker = \"{}\"\nca_file = \"{}\"\ncert_file = \"{}\"\nkey_file = \"{}\"\n"
      "timeout_ms = 3000\nattempts = 2\ndevice_hello = true\n",
      broker.url(), broker.ca_file().string(), broker.admin_cert().string(), broker.admin_key().string());
  write_text_file_atomic(dir / "station.toml", profile);

  EmulatorProcess emulator(EmulatorOptions{
      1, "rfc2217", dir / "devices", {"--broker", broker.url(), "--broker-ca", broker.ca_file().string()}});
  const auto run = run_espfab(station_run_args(dir / "station.toml", emulator, 1));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 1u);
  const auto& device = summary["devices"][0];
  ASSERT_EQ(device["result"], "provisioned") << summary.dump(2);
  const std::string serial = device["serial"];

  // The record: a DS identity, the DS key burned (never shown), the hello through the broker.
  const auto record = json::parse(read_text_file(dir / "station-data" / "records" / (serial + ".json")));
  bool hello = false;
  for (const auto& step : record["steps"]) {
    if (step["name"] == "inject-identity") {
      EXPECT_EQ(step["details"]["container"], "ds") << step.dump();
      EXPECT_EQ(step["details"]["ds"]["rsa_bits"], 3072) << step.dump();
      EXPECT_EQ(step["details"]["ds"]["key_block"], "BLOCK_KEY5") << step.dump();
    }
    if (step["name"] == "burn-fe-key") {
      EXPECT_EQ(step["details"]["ds_key"], "burned read-protected; the host copy is wiped") << step.dump();
    }
    if (step["name"] == "verify-hello") {
      ASSERT_TRUE(step["details"].contains("puback")) << step.dump();
      const int puback = step["details"]["puback"];
      EXPECT_TRUE(puback == 0 || puback == 16) << step.dump();
      hello = true;
    }
  }
  EXPECT_TRUE(hello) << record.dump(2);

  // The chip: the DS key block, read-protected, the rest locked down as usual.
  const auto state = dir / "devices" / "dev0";
  const auto summary_of_file = run_espfab({"efuse", "summary", "--file", (state / "efuse.bin").string(), "--json"});
  ASSERT_EQ(summary_of_file.exit_code, 0) << summary_of_file.err;
  const auto efuses = json::parse(summary_of_file.out);
  EXPECT_EQ(efuses["KEY_PURPOSE_5"]["value"], "HMAC_DOWN_DIGITAL_SIGNATURE");
  EXPECT_EQ(efuses["KEY_PURPOSE_0"]["value"], "XTS_AES_128_KEY");
  EXPECT_EQ(efuses["SECURE_BOOT_EN"]["value"], true);
  EXPECT_EQ(efuses["ENABLE_SECURITY_DOWNLOAD"]["value"], true);
  // The 512-byte eFuse file is the register window (what espefuse --virt stores): the DS block
  // reads as zeros there. The chip's raw array (the emulator's hidden-state file: 8-byte header,
  // then 32 data + 12 check bytes per block) holds the key the DS peripheral uses.
  const auto registers = security::EfuseImage::from_virtual_file(read_file(state / "efuse.bin"));
  EXPECT_TRUE(registers.read_protected(5)) << "BLOCK_KEY5 must be read-protected";
  const Bytes read_back = registers.block_bytes(4 + 5);
  EXPECT_TRUE(std::all_of(read_back.begin(), read_back.end(), [](std::uint8_t b) { return b == 0; }));
  const Bytes hidden = read_file(state / "efuse_hidden.bin");
  ASSERT_EQ(hidden.size(), 8u + 11u * 44u);
  const Bytes hmac_key(hidden.begin() + 8 + 9 * 44, hidden.begin() + 8 + 9 * 44 + 32);
  ASSERT_TRUE(std::any_of(hmac_key.begin(), hmac_key.end(), [](std::uint8_t b) { return b != 0; }));

  // The locked chip (Secure Download Mode) lets no one read its eFuses through the loader.
  const auto over_loader = run_espfab({"efuse", "summary", "--port", emulator.url(), "--json"});
  EXPECT_NE(over_loader.exit_code, 0) << over_loader.out;
  EXPECT_FALSE(contains_bytes(over_loader.out, hmac_key));

  // The leak scan. The scan finds what it looks for: the key is in the eFuse array itself.
  const Bytes modulus = modulus_of(record["certificate"]["pem"].get<std::string>());
  ASSERT_EQ(modulus.size(), 384u) << "an RSA-3072 certificate";
  auto needles = private_key_needles(modulus);
  needles.push_back(hmac_key);
  EXPECT_TRUE(contains_bytes(hidden, hmac_key));
  EXPECT_EQ(files_containing(dir / "station-data", needles), std::vector<std::string>{});
  const Bytes flash = read_file(state / "flash.bin");
  for (const auto& needle : needles) EXPECT_FALSE(contains_bytes(flash, needle)) << "in the chip's flash";
  for (const auto& needle : needles) {
    EXPECT_FALSE(contains_bytes(run.out, needle));
    EXPECT_FALSE(contains_bytes(run.err, needle));
  }

  // The device boots locked and prints the identity the station issued.
  TcpLine line(emulator.url());
  TcpLine control(emulator.control());
  control.send("reset boot 0\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  const std::string console = line.read_until("Returned from app_main()");
  EXPECT_NE(console.find("secure boot verification succeeded"), std::string::npos) << console;
  EXPECT_NE(console.find("Flash encryption mode is RELEASE"), std::string::npos) << console;
  EXPECT_NE(console.find("espfab_identity: serial=" + serial), std::string::npos) << console;
}

}  // namespace
}  // namespace espfab::test
