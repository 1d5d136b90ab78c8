// The identity core's line (identity_line.c, docs/firmware-contract.md "The identity line"): from
// a station-issued certificate, logged as ESP-IDF logs it, the station's boot-console reader gets
// back the certificate's serial and SHA-256 — the same as the emulator's production app reports;
// and what the core refuses.
#include "espfab_identity/identity_line.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>
#include <vector>

#include "emulator/boot_app.hpp"
#include "image/secure_cert_tlv.hpp"
#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"
#include "station/boot_console_check.hpp"
#include "support/device_certificate.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "unit/firmware/test_certificate.hpp"

namespace espfab::test {
namespace {

struct Line {
  espfab_identity_status status;
  std::string message;
};

Line message_of(const std::string& cert, const char* serial = nullptr, espfab_identity_security security = {}) {
  std::vector<std::uint8_t> work(cert.size());
  char out[ESPFAB_IDENTITY_MESSAGE_MAX];
  const auto status = espfab_identity_message(reinterpret_cast<const std::uint8_t*>(cert.data()), cert.size(), serial,
                                              security, work.data(), work.size(), out, sizeof out);
  return {status, out};
}

std::string sha256_hex(const std::vector<std::uint8_t>& der) {
  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(der.data(), der.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

// The boot console of a production app that logged the message with ESP_LOGI.
std::string console_with(const std::string& message) {
  return "I (301) app_init: Project name:     widget\r\n"
         "I (342) " ESPFAB_IDENTITY_LOG_TAG ": " +
         message + "\r\nI (343) main_task: Returned from app_main()\r\n";
}

TEST(IdentityLine, TheStationReadsBackTheIssuedSerialAndFingerprint) {
  TempDir dir;
  auto ca = pki::LocalCa::init(dir.path() / "ca");
  const auto issued = issue_device_certificate(ca, "ESP-000123");
  const auto line = message_of(issued.certificate_pem, nullptr, {true, true});
  ASSERT_EQ(line.status, ESPFAB_IDENTITY_OK) << espfab_identity_status_text(line.status);
  const auto found = station::read_boot_console(console_with(line.message));
  const auto expected = emulator::identity_of_certificate(issued.certificate_pem);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(found.identity_serial, std::optional<std::string>("ESP-000123"));
  EXPECT_EQ(found.identity_serial, std::optional<std::string>(expected->serial));
  EXPECT_EQ(found.identity_cert_sha256, std::optional<std::string>(expected->cert_sha256));
  EXPECT_TRUE(found.errors.empty());
  EXPECT_EQ(line.message,
            "serial=ESP-000123 cert_sha256=" + expected->cert_sha256 + " flash_encryption=on secure_boot=on")
      << "the emulator's production app prints the same fields";
}

// Espressif's esp_secure_cert partitions (tests/vectors/secure_cert): the device certificate as
// esp_secure_cert_get_device_cert hands it over (the PEM and its NUL) gives the line the
// emulator's production app prints for the same partition.
TEST(IdentityLine, EspressifsSecureCertPartitions) {
  for (const char* name : {"secure_cert/esp_secure_cert_ecdsa.bin", "secure_cert/esp_secure_cert_rsa.bin"}) {
    const auto partition = image::read_secure_cert_identity(read_vector(name));
    const auto line = message_of(partition.device_cert + std::string(1, '\0'));
    ASSERT_EQ(line.status, ESPFAB_IDENTITY_OK) << name << ": " << espfab_identity_status_text(line.status);
    const auto expected = emulator::identity_of_certificate(partition.device_cert);
    ASSERT_TRUE(expected.has_value()) << name;
    EXPECT_EQ(line.message, "serial=" + expected->serial + " cert_sha256=" + expected->cert_sha256 +
                                " flash_encryption=off secure_boot=off")
        << name;
  }
}

TEST(IdentityLine, DerInputAGivenSerialAndSecurityFlags) {
  const auto cert = make_test_certificate({{"O", "ACME"}, {"CN", "ESP-000777"}});
  std::string der(cert.der.begin(), cert.der.end());
  der.append(4, '\0');  // a container's padding is not part of the certificate
  const auto line = message_of(der, "SN-42", {false, true});
  ASSERT_EQ(line.status, ESPFAB_IDENTITY_OK);
  EXPECT_EQ(line.message, "serial=SN-42 cert_sha256=" + sha256_hex(cert.der) + " flash_encryption=off secure_boot=on");
  const auto found = station::read_boot_console(console_with(line.message));
  EXPECT_EQ(found.identity_serial, std::optional<std::string>("SN-42"));
  EXPECT_EQ(found.identity_cert_sha256, std::optional<std::string>(sha256_hex(cert.der)));
}

TEST(IdentityLine, WhatTheStationCouldNotReadIsRefused) {
  EXPECT_EQ(message_of("").status, ESPFAB_IDENTITY_NO_CERTIFICATE);
  EXPECT_EQ(message_of("just text").status, ESPFAB_IDENTITY_NO_CERTIFICATE);
  EXPECT_EQ(message_of("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n").status,
            ESPFAB_IDENTITY_BAD_CERTIFICATE);
  EXPECT_EQ(message_of("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n").status,
            ESPFAB_IDENTITY_BAD_CERTIFICATE)
      << "base64 of something that is not a certificate";
  EXPECT_EQ(message_of(make_test_certificate({{"O", "ACME"}}).pem).status, ESPFAB_IDENTITY_NO_CN);
  EXPECT_EQ(message_of(make_test_certificate({{"O", "ACME"}}).pem, "SN-1").status, ESPFAB_IDENTITY_OK);
  EXPECT_EQ(message_of(make_test_certificate({{"CN", "ACME device 7"}}).pem).status, ESPFAB_IDENTITY_BAD_SERIAL)
      << "a space would cut the serial short";
  EXPECT_EQ(message_of(make_test_certificate({{"CN", "Gr\xc3\xbc\xc3\x9f"}}).pem).status, ESPFAB_IDENTITY_BAD_SERIAL);
  const auto cert = make_test_certificate({{"CN", "ESP-1"}});
  EXPECT_EQ(message_of(cert.pem, "").status, ESPFAB_IDENTITY_BAD_SERIAL);
  EXPECT_EQ(message_of(cert.pem, std::string(65, 'x').c_str()).status, ESPFAB_IDENTITY_BAD_SERIAL);
  EXPECT_EQ(message_of(cert.pem, std::string(64, 'x').c_str()).status, ESPFAB_IDENTITY_OK);
  char small[ESPFAB_IDENTITY_MESSAGE_MAX - 1];
  std::vector<std::uint8_t> work(cert.pem.size());
  EXPECT_EQ(espfab_identity_message(reinterpret_cast<const std::uint8_t*>(cert.pem.data()), cert.pem.size(), nullptr,
                                    {}, work.data(), work.size(), small, sizeof small),
            ESPFAB_IDENTITY_NO_ROOM);
  char out[ESPFAB_IDENTITY_MESSAGE_MAX];
  EXPECT_EQ(espfab_identity_message(reinterpret_cast<const std::uint8_t*>(cert.pem.data()), cert.pem.size(), nullptr,
                                    {}, nullptr, 0, out, sizeof out),
            ESPFAB_IDENTITY_NO_ROOM)
      << "PEM needs a work buffer";
  EXPECT_STRNE(espfab_identity_status_text(ESPFAB_IDENTITY_NO_CN), "unknown");
}

TEST(IdentityLine, TheLibraryCarriesTheTagThePreflightLooksFor) {
  EXPECT_STREQ(espfab_identity_log_tag, "espfab_identity");
}

}  // namespace
}  // namespace espfab::test
