// ca's services with a local CA (the PKCS#11 CA is tested against SoftHSM in tests/integration/pki):
// init_ca makes the CA with the default or given name and refuses a second one; a certificate
// sign_certificate_request writes chains to it, with the next serial, and --chain appends the CA.
#include "service/ca_operations.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"
#include "support/expect_error.hpp"
#include "support/temp_dir.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

void write_csr(const std::filesystem::path& path, const std::string& serial) {
  const auto key = pki::generate_key(pki::KeyType::EcP256);
  const pki::X509ReqPtr csr = pki::make_csr(key.get(), {.organization = "espfab test"}, {serial, "7c:df:a1:00:00:01"});
  write_text_file_atomic(path, pki::csr_to_pem(csr.get()));
}

CaInitRequest local_ca(const std::filesystem::path& dir, std::string common_name = {}) {
  return {.dir = dir, .common_name = std::move(common_name), .organization = "espfab test"};
}

TEST(CaOperations, InitMakesALocalCaOnce) {
  test::TempDir dir;
  const CaInitResult result = init_ca(local_ca(dir / "ca"));
  EXPECT_FALSE(result.profile);
  EXPECT_NE(result.description.find(std::string("CN=") + kDefaultLocalCaName), std::string::npos) << result.description;
  struct stat info {};
  ASSERT_EQ(::stat((dir / "ca" / "ca.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(pki::LocalCa::open(dir / "ca").issued_count(), 0u);

  const std::string certificate = read_text_file(dir / "ca" / "ca.crt");
  test::expect_error<PolicyRefusalError>([&] { init_ca(local_ca(dir / "ca", "Another CA")); }, "pki.ca_exists");
  EXPECT_EQ(read_text_file(dir / "ca" / "ca.crt"), certificate);
}

TEST(CaOperations, SignedCertificateChainsToTheCa) {
  test::TempDir dir;
  const CaInitResult ca = init_ca(local_ca(dir / "ca", "Service Test CA"));
  EXPECT_NE(ca.description.find("CN=Service Test CA"), std::string::npos) << ca.description;
  write_csr(dir / "dev.csr", "ESP-000001");

  const CaSignResult first = sign_certificate_request({.csr = dir / "dev.csr",
                                                       .output = dir / "dev.crt",
                                                       .ca_dir = dir / "ca",
                                                       .validity = std::chrono::days(30),
                                                       .server_auth = false,
                                                       .chain = false});
  EXPECT_EQ(first.serial_hex, "1");
  EXPECT_NE(first.subject.find("CN=ESP-000001"), std::string::npos) << first.subject;
  EXPECT_EQ(first.ca_description, ca.description);
  const std::string certificate = read_text_file(dir / "dev.crt");
  EXPECT_EQ(count_of(certificate, "-----BEGIN CERTIFICATE-----"), 1u);
  const std::string ca_pem = read_text_file(dir / "ca" / "ca.crt");
  EXPECT_EQ(pki::verify_chain(certificate, ca_pem), "");

  const CaSignResult second = sign_certificate_request({.csr = dir / "dev.csr",
                                                        .output = dir / "chain.crt",
                                                        .ca_dir = dir / "ca",
                                                        .validity = std::chrono::days(30),
                                                        .server_auth = true,
                                                        .chain = true});
  EXPECT_EQ(second.serial_hex, "2");
  const std::string chain = read_text_file(dir / "chain.crt");
  EXPECT_EQ(count_of(chain, "-----BEGIN CERTIFICATE-----"), 2u);
  EXPECT_NE(chain.find(ca_pem), std::string::npos) << "the CA certificate follows the device's";
  EXPECT_EQ(pki::LocalCa::open(dir / "ca").issued_count(), 2u);

  // A certificate from another CA does not chain to this one.
  init_ca(local_ca(dir / "other"));
  EXPECT_NE(pki::verify_chain(certificate, read_text_file(dir / "other" / "ca.crt")), "");
}

TEST(CaOperations, SignRefusesWhatIsNoCsrAndWritesNothing) {
  test::TempDir dir;
  init_ca(local_ca(dir / "ca"));
  write_text_file_atomic(dir / "bad.csr", "garbage\n");
  EXPECT_THROW(sign_certificate_request({.csr = dir / "bad.csr",
                                         .output = dir / "bad.crt",
                                         .ca_dir = dir / "ca",
                                         .validity = std::chrono::days(30),
                                         .server_auth = false,
                                         .chain = false}),
               BadInputError);
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.crt"));
  EXPECT_EQ(pki::LocalCa::open(dir / "ca").issued_count(), 0u);
}

}  // namespace
}  // namespace espfab::service
