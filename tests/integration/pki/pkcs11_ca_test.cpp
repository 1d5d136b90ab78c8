// The PKCS#11 CA against a SoftHSM2 token: the CA key is generated inside the token and never
// leaves it; device certificates it signs are checked with the openssl CLI (an independent
// verifier); serials are unique and survive reopening; every setup mistake (wrong PIN, unknown
// token or key, a key that is not the certificate's, an unloadable module, a PIN file others can
// read) ends in an error that names it.
#include "pki/pkcs11_ca.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "pki/local_ca.hpp"
#include "softhsm_token.hpp"
#include "support/expect_error.hpp"
#include "support/run_command.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::pki {
namespace {

using test::expect_error;
using test::SoftHsmToken;

X509ReqPtr device_csr(int n, KeyType type = KeyType::EcP256) {
  auto key = generate_key(type);
  SubjectTemplate subject;
  subject.organization = "espfab test";
  subject.dns_names = {"{serial}.devices.example"};
  return make_csr(key.get(), subject, {fmt::format("ESP-{:06}", n), "7c:df:a1:00:00:01"});
}

CaCertificateSpec ca_subject() {
  CaCertificateSpec spec;
  spec.common_name = "espfab HSM Test CA";
  spec.organization = "espfab test";
  return spec;
}

// `openssl verify -CAfile ca dev` run as a separate program: exit code and output.
test::CommandResult openssl_verify(const std::filesystem::path& ca, const std::filesystem::path& cert) {
  return test::run_command(test::find_tool("openssl", "openssl"), {"verify", "-CAfile", ca.string(), cert.string()});
}

// The "Access:" line pkcs11-tool prints for the private key labelled `label`.
std::string private_key_access(const std::string& listing, const std::string& label) {
  std::istringstream lines(listing);
  bool in_key = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Private Key Object", 0) == 0) in_key = false;
    if (line.find("label:") != std::string::npos)
      in_key = line.substr(line.find(':') + 1).find(label) != std::string::npos;
    if (in_key && line.find("Access:") != std::string::npos) return line;
  }
  return {};
}

class Pkcs11CaTest : public ::testing::Test {
 protected:
  void SetUp() override { hsm.generate_key("EC:prime256v1", "ca-key", "01"); }

  // The CA certificate made with the token's key, then the CA opened on it.
  Pkcs11Ca make_ca(const Pkcs11CaConfig& config) {
    self_sign_ca_certificate(config, ca_subject());
    return Pkcs11Ca::open(config);
  }

  SoftHsmToken hsm;
};

TEST_F(Pkcs11CaTest, IssuesAnEcdsaCertificateThatOpensslVerifies) {
  const Pkcs11CaConfig config = hsm.config();
  const std::string ca_pem = self_sign_ca_certificate(config, ca_subject());
  EXPECT_EQ(read_text_file(config.certificate), ca_pem);
  const X509Ptr ca_cert = certificate_from_pem(ca_pem);
  EXPECT_EQ(name_to_string(X509_get_subject_name(ca_cert.get())), "CN=espfab HSM Test CA,O=espfab test");
  EXPECT_EQ(X509_check_ca(ca_cert.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(ca_cert.get()), NID_ecdsa_with_SHA256);

  Pkcs11Ca ca = Pkcs11Ca::open(config);
  EXPECT_EQ(ca.ca_certificate_pem(), ca_pem);
  EXPECT_NE(ca.describe().find("token 'espfab-ca', key 'ca-key' id 01, EC P-256"), std::string::npos) << ca.describe();
  const IssuedCertificate issued = ca.sign(device_csr(1).get(), {});
  EXPECT_EQ(issued.serial_hex, "1");
  EXPECT_EQ(issued.subject, "serialNumber=7c:df:a1:00:00:01,CN=ESP-000001,O=espfab test");
  ASSERT_EQ(issued.chain_pem, std::vector<std::string>{ca_pem});

  const X509Ptr cert = certificate_from_pem(issued.certificate_pem);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_GE(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), 0);
  EXPECT_EQ(verify_chain(issued.certificate_pem, ca_pem), "");

  // The openssl CLI as an independent verifier; a certificate of another CA must not pass.
  write_text_file_atomic(hsm.dir() / "dev.crt", issued.certificate_pem);
  const test::CommandResult verified = openssl_verify(config.certificate, hsm.dir() / "dev.crt");
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(verified.out, (hsm.dir() / "dev.crt").string() + ": OK\n") << verified.err;
  LocalCa other = LocalCa::init(hsm.dir() / "other-ca");
  write_text_file_atomic(hsm.dir() / "other.crt", other.sign(device_csr(2).get(), {}).certificate_pem);
  EXPECT_NE(openssl_verify(config.certificate, hsm.dir() / "other.crt").exit_code, 0);
}

TEST_F(Pkcs11CaTest, IssuesWithAnRsa3072KeyInTheToken) {
  hsm.generate_key("rsa:3072", "ca-rsa", "02");
  Pkcs11CaConfig config = hsm.config("ca-rsa");
  config.key_id = "02";
  Pkcs11Ca ca = make_ca(config);
  EXPECT_NE(ca.describe().find("RSA 3072"), std::string::npos) << ca.describe();
  for (const KeyType type : {KeyType::EcP256, KeyType::Rsa2048}) {
    const IssuedCertificate issued = ca.sign(device_csr(3, type).get(), {.server_auth = true});
    const X509Ptr cert = certificate_from_pem(issued.certificate_pem);
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_sha256WithRSAEncryption);
    EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<std::uint32_t>(XKU_SSL_CLIENT | XKU_SSL_SERVER));
    write_text_file_atomic(hsm.dir() / "dev.crt", issued.certificate_pem);
    const test::CommandResult verified = openssl_verify(config.certificate, hsm.dir() / "dev.crt");
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find(": OK"), std::string::npos) << verified.out;
  }
}

TEST_F(Pkcs11CaTest, SerialsAreDistinctAndSurviveReopening) {
  const Pkcs11CaConfig config = hsm.config();
  std::vector<std::string> serials;
  {
    Pkcs11Ca ca = make_ca(config);
    serials.push_back(ca.sign(device_csr(1).get(), {}).serial_hex);
    serials.push_back(ca.sign(device_csr(2).get(), {}).serial_hex);
  }
  Pkcs11Ca again = Pkcs11Ca::open(config);
  serials.push_back(again.sign(device_csr(3).get(), {}).serial_hex);
  EXPECT_EQ(serials, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(again.issued_count(), 3u);
  EXPECT_EQ(read_text_file(config.state_dir / "serial"), "4\n");
}

TEST_F(Pkcs11CaTest, ConcurrentSigningGivesUniqueSerials) {
  Pkcs11Ca ca = make_ca(hsm.config());
  std::mutex mutex;
  std::set<std::string> serials;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 10; ++n) {
        try {
          const IssuedCertificate issued = ca.sign(device_csr(t * 100 + n).get(), {});
          const std::string problem = verify_chain(issued.certificate_pem, ca.ca_certificate_pem());
          const std::lock_guard lock(mutex);
          serials.insert(issued.serial_hex);
          if (!problem.empty()) failures.push_back(problem);
        } catch (const std::exception& e) {
          const std::lock_guard lock(mutex);
          failures.push_back(e.what());
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(serials.size(), 30u);
  EXPECT_EQ(ca.issued_count(), 30u);
}

TEST_F(Pkcs11CaTest, RefusesACsrWithABadSignatureWithoutUsingASerial) {
  const Pkcs11CaConfig config = hsm.config();
  Pkcs11Ca ca = make_ca(config);
  X509ReqPtr csr = device_csr(1);
  auto other = generate_key(KeyType::EcP256);
  ASSERT_EQ(X509_REQ_set_pubkey(csr.get(), other.get()), 1);  // key swapped after signing
  const auto e = expect_error<BadInputError>([&] { ca.sign(csr.get(), {}); }, "pki.csr_signature");
  ASSERT_EQ(e.context().size(), 1u);
  EXPECT_EQ(e.context().front(), "issuing with key 'ca-key' id 01 on PKCS#11 token 'espfab-ca'");
  EXPECT_EQ(ca.issued_count(), 0u);
  EXPECT_EQ(read_text_file(config.state_dir / "serial"), "1\n");
}

TEST_F(Pkcs11CaTest, WrongPinIsRefusedAndNotRepeated) {
  const Pkcs11CaConfig config = hsm.config();
  self_sign_ca_certificate(config, ca_subject());
  ::setenv(SoftHsmToken::kPinEnv, "975310", 1);
  const auto e = expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_pin_incorrect");
  EXPECT_NE(e.message().find("token 'espfab-ca' is incorrect"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find(SoftHsmToken::kPinEnv), std::string::npos) << e.message();
  for (const std::string& text : {std::string(e.what()), e.hint(), e.describe()}) {
    EXPECT_EQ(text.find("975310"), std::string::npos) << text;
  }
  ::unsetenv(SoftHsmToken::kPinEnv);
  expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_no_pin");
  ::setenv(SoftHsmToken::kPinEnv, SoftHsmToken::kUserPin, 1);
  EXPECT_NO_THROW(Pkcs11Ca::open(config));  // the failed logins left nothing behind
}

TEST_F(Pkcs11CaTest, PinFromAFileOnlyWhenOthersCannotReadIt) {
  Pkcs11CaConfig config = hsm.config();
  self_sign_ca_certificate(config, ca_subject());
  config.pin_env.clear();
  config.pin_file = hsm.dir() / "pin";
  write_text_file_atomic(config.pin_file, std::string(SoftHsmToken::kUserPin) + "\n", 0644);
  const auto e = expect_error<PolicyRefusalError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_pin_file_mode");
  EXPECT_NE(e.hint().find("chmod 600"), std::string::npos) << e.hint();
  ASSERT_EQ(::chmod(config.pin_file.c_str(), 0600), 0);
  Pkcs11Ca ca = Pkcs11Ca::open(config);
  EXPECT_EQ(ca.sign(device_csr(1).get(), {}).serial_hex, "1");
}

TEST_F(Pkcs11CaTest, UnknownTokenKeyOrModuleIsNamed) {
  const Pkcs11CaConfig good = hsm.config();
  self_sign_ca_certificate(good, ca_subject());

  Pkcs11CaConfig config = good;
  config.token_label = "no-such-token";
  const auto token = expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_token_not_found");
  EXPECT_NE(token.message().find("'no-such-token'"), std::string::npos) << token.message();
  EXPECT_NE(token.message().find("tokens: 'espfab-ca'"), std::string::npos) << token.message();

  config = good;
  config.key_label = "no-such-key";
  const auto key = expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_key_not_found");
  EXPECT_NE(key.message().find("no private key with label 'no-such-key'"), std::string::npos) << key.message();
  EXPECT_NE(key.message().find("(private keys: 'ca-key' id 01)"), std::string::npos) << key.message();

  config = good;
  config.key_label.clear();
  config.key_id = "7f";
  const auto id = expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_key_not_found");
  EXPECT_NE(id.message().find("no private key with id 7f"), std::string::npos) << id.message();
  config.key_id = "01";
  EXPECT_NO_THROW(Pkcs11Ca::open(config));  // found by CKA_ID alone

  config = good;
  config.module = hsm.dir() / "missing.so";
  expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_module");
  config.module = hsm.dir() / "softhsm2.conf";  // exists, but not a shared library
  const auto module = expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_module");
  EXPECT_NE(module.message().find("softhsm2.conf' is not a shared library"), std::string::npos) << module.message();
}

TEST_F(Pkcs11CaTest, KeyThatIsNotTheCertificatesIsRefusedNamingBoth) {
  hsm.generate_key("EC:prime256v1", "other-key", "02");
  self_sign_ca_certificate(hsm.config(), ca_subject());
  const auto e = expect_error<BadInputError>([&] { Pkcs11Ca::open(hsm.config("other-key")); }, "pki.hsm_key_mismatch");
  EXPECT_NE(e.message().find("'other-key' id 02"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("ca.crt"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("CN=espfab HSM Test CA"), std::string::npos) << e.message();
}

TEST_F(Pkcs11CaTest, StateAndCertificateAreNeverOverwrittenAndMustExist) {
  const Pkcs11CaConfig config = hsm.config();
  expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.ca_missing");
  const std::string pem = self_sign_ca_certificate(config, ca_subject());
  expect_error<PolicyRefusalError>([&] { self_sign_ca_certificate(config, ca_subject()); }, "pki.ca_exists");
  EXPECT_EQ(read_text_file(config.certificate), pem);
  std::filesystem::remove(config.state_dir / "serial");
  expect_error<BadInputError>([&] { Pkcs11Ca::open(config); }, "pki.ca_state_missing");
}

TEST_F(Pkcs11CaTest, OneCaPerModuleAndProcess) {
  const Pkcs11CaConfig config = hsm.config();
  std::optional<Pkcs11Ca> first(make_ca(config));
  // A second login in this process would not check its PIN, and its unload would end the first's
  // sessions: refused.
  expect_error<PolicyRefusalError>([&] { Pkcs11Ca::open(config); }, "pki.hsm_module_busy");
  EXPECT_EQ(first->sign(device_csr(1).get(), {}).serial_hex, "1");
  first.reset();
  Pkcs11Ca second = Pkcs11Ca::open(config);
  EXPECT_EQ(second.sign(device_csr(2).get(), {}).serial_hex, "2");
}

TEST_F(Pkcs11CaTest, PrivateKeyIsSensitiveAndNeverExtractable) {
  hsm.generate_key("EC:prime256v1", "exportable", "03", /*extractable=*/true);
  const test::CommandResult listing = hsm.pkcs11_tool({"--list-objects", "--type", "privkey"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  const std::string access = private_key_access(listing.out, "ca-key");
  EXPECT_NE(access.find(" sensitive"), std::string::npos) << listing.out;
  EXPECT_NE(access.find("never extractable"), std::string::npos) << listing.out;
  EXPECT_EQ(access.find(", extractable"), std::string::npos) << listing.out;
  // The same reading tells an extractable key apart (the check can fail).
  const std::string exportable = private_key_access(listing.out, "exportable");
  EXPECT_NE(exportable.find(", extractable"), std::string::npos) << listing.out;
  EXPECT_EQ(exportable.find("never extractable"), std::string::npos) << listing.out;
}

}  // namespace
}  // namespace espfab::pki
