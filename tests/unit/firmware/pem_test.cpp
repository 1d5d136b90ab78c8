// The identity core's PEM reader (pem.c): the first certificate block as DER, exactly what
// OpenSSL encodes; text around it, other blocks and line breaks of any kind are fine; damaged
// base64 and blocks that do not fit are refused.
#include "espfab_identity/pem.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/firmware/test_certificate.hpp"

namespace espfab::test {
namespace {

std::vector<std::uint8_t> der_of(const std::string& pem, std::size_t capacity = 4096) {
  std::vector<std::uint8_t> der(capacity);
  der.resize(espfab_pem_certificate_to_der(pem.data(), pem.size(), der.data(), der.size()));
  return der;
}

TEST(Pem, TheCertificateBlockIsItsDer) {
  const auto cert = make_test_certificate({{"CN", "ESP-000001"}});
  EXPECT_EQ(der_of(cert.pem), cert.der);
  const std::string key_first = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
  EXPECT_EQ(der_of("junk before\r\n" + key_first + cert.pem + "trailing"), cert.der);
  std::string crlf;
  for (const char c : cert.pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(der_of(crlf), cert.der);
  EXPECT_EQ(der_of(cert.pem + std::string(1, '\0')), cert.der) << "a NUL after the PEM (esp_secure_cert's)";
}

TEST(Pem, DamagedBlocksAreRefused) {
  const auto cert = make_test_certificate({{"CN", "ESP-000001"}});
  EXPECT_TRUE(der_of("no pem here").empty());
  EXPECT_TRUE(der_of(cert.pem.substr(0, cert.pem.size() - 10)).empty()) << "no END line";
  std::string bad = cert.pem;
  bad[40] = '*';
  EXPECT_TRUE(der_of(bad).empty()) << "not base64";
  EXPECT_TRUE(der_of(cert.pem, cert.der.size() - 1).empty()) << "does not fit";
  EXPECT_EQ(der_of(cert.pem, cert.der.size()), cert.der);
  EXPECT_TRUE(der_of("-----BEGIN CERTIFICATE-----\nQUJD\nRA==\n-----END CERTIFICATE-----\n").size() == 4u);
  EXPECT_TRUE(der_of("-----BEGIN CERTIFICATE-----\nQUJDRA=\n-----END CERTIFICATE-----\n").empty()) << "length";
  EXPECT_TRUE(der_of("-----BEGIN CERTIFICATE-----\nQU=JD\n-----END CERTIFICATE-----\n").empty()) << "= inside";
}

}  // namespace
}  // namespace espfab::test
