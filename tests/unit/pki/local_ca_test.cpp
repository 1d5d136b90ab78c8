// The local CA: init/open, the key file's mode, extensions of issued certificates, unique serials
// that survive reopening, and the 1,000-device acceptance test.
#include "pki/local_ca.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <set>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::pki {
namespace {

X509ReqPtr device_csr(int n, KeyType type = KeyType::EcP256) {
  auto key = generate_key(type);
  return make_csr(key.get(), {.organization = "espfab test"}, {fmt::format("ESP-{:06}", n), "7c:df:a1:00:00:01"});
}

// Everything the profile asks of a device certificate, checked through OpenSSL.
void expect_device_extensions(X509* cert) {
  const std::uint32_t flags = X509_get_extension_flags(cert);
  EXPECT_TRUE(flags & EXFLAG_V1 ? false : true);
  EXPECT_FALSE(X509_check_ca(cert));
  EXPECT_TRUE(flags & EXFLAG_KUSAGE);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_TRUE(flags & EXFLAG_XKUSAGE);
  EXPECT_EQ(X509_get_extended_key_usage(cert), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_NE(X509_get0_subject_key_id(cert), nullptr);
  EXPECT_NE(X509_get0_authority_key_id(cert), nullptr);
  EXPECT_GE(X509_get_ext_by_NID(cert, NID_basic_constraints, -1), 0);
}

TEST(LocalCa, InitWritesAProperCa) {
  test::TempDir dir;
  const LocalCa ca = LocalCa::init(dir / "ca", {.common_name = "Test CA", .organization = "espfab test"});
  struct stat info {};
  ASSERT_EQ(::stat((dir / "ca" / "ca.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const X509Ptr cert = certificate_from_pem(ca.ca_certificate_pem());
  EXPECT_EQ(name_to_string(X509_get_subject_name(cert.get())), "CN=Test CA,O=espfab test");
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
  EXPECT_EQ(ca.issued_count(), 0u);
  try {
    LocalCa::init(dir / "ca");
    FAIL() << "expected PolicyRefusalError";
  } catch (const PolicyRefusalError& e) {
    EXPECT_EQ(e.code(), "pki.ca_exists");
  }
  EXPECT_THROW(LocalCa::open(dir / "nothing"), BadInputError);
}

TEST(LocalCa, SerialsContinueAfterReopening) {
  test::TempDir dir;
  std::string first;
  {
    LocalCa ca = LocalCa::init(dir / "ca");
    first = ca.sign(device_csr(1).get(), {}).serial_hex;
  }
  LocalCa again = LocalCa::open(dir / "ca");
  const IssuedCertificate second = again.sign(device_csr(2).get(), {});
  EXPECT_EQ(first, "1");
  EXPECT_EQ(second.serial_hex, "2");
  EXPECT_EQ(again.issued_count(), 2u);
  EXPECT_EQ(read_text_file(dir / "ca" / "serial"), "3\n");
}

TEST(LocalCa, RefusesACsrWithABadSignature) {
  test::TempDir dir;
  LocalCa ca = LocalCa::init(dir / "ca");
  X509ReqPtr csr = device_csr(1);
  auto other = generate_key(KeyType::EcP256);
  ASSERT_EQ(X509_REQ_set_pubkey(csr.get(), other.get()), 1);  // key swapped after signing
  EXPECT_THROW(ca.sign(csr.get(), {}), BadInputError);
  EXPECT_EQ(ca.issued_count(), 0u);
}

TEST(LocalCa, RsaDevicesAndServerAuth) {
  test::TempDir dir;
  LocalCa ca = LocalCa::init(dir / "ca");
  const IssuedCertificate issued = ca.sign(device_csr(7, KeyType::Rsa2048).get(), {.server_auth = true});
  EXPECT_EQ(verify_chain(issued.certificate_pem, ca.ca_certificate_pem()), "");
  const X509Ptr cert = certificate_from_pem(issued.certificate_pem);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT | XKU_SSL_SERVER));
  EXPECT_EQ(issued.subject, "serialNumber=7c:df:a1:00:00:01,CN=ESP-000007,O=espfab test");
  ASSERT_EQ(issued.chain_pem.size(), 1u);
}

TEST(LocalCa, OtherCaDoesNotVerify) {
  test::TempDir dir;
  LocalCa ca = LocalCa::init(dir / "a");
  const LocalCa other = LocalCa::init(dir / "b");
  const IssuedCertificate issued = ca.sign(device_csr(1).get(), {});
  EXPECT_NE(verify_chain(issued.certificate_pem, other.ca_certificate_pem()), "");
}

// Acceptance: 1,000 devices issued; all chain to the CA, serials unique, extensions present.
TEST(LocalCa, ThousandDevices) {
  test::TempDir dir;
  LocalCa ca = LocalCa::init(dir / "ca");
  std::set<std::string> serials;
  std::set<std::string> subjects;
  for (int n = 0; n < 1000; ++n) {
    const IssuedCertificate issued = ca.sign(device_csr(n).get(), {});
    ASSERT_EQ(verify_chain(issued.certificate_pem, ca.ca_certificate_pem()), "") << n;
    const X509Ptr cert = certificate_from_pem(issued.certificate_pem);
    if (n % 100 == 0) expect_device_extensions(cert.get());
    ASSERT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
    ASSERT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
    serials.insert(issued.serial_hex);
    subjects.insert(issued.subject);
  }
  EXPECT_EQ(serials.size(), 1000u);
  EXPECT_EQ(subjects.size(), 1000u);
  EXPECT_EQ(ca.issued_count(), 1000u);
}

}  // namespace
}  // namespace espfab::pki
