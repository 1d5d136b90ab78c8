// CmpCa against `openssl cmp` as a mock CMP server (cookbook §2). The mock returns the fixed
// certificate given with -rsp_cert, so each test signs the device CSR with a test CA made by the
// openssl CLI first and starts the mock with that certificate (or, for the failure cases, with
// a certificate for another key or from another CA). The fixture is in cmp_test_fixture.hpp; the
// same over TLS in cmp_tls_test.cpp.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <stdexcept>

#include "cmp/cmp_test_fixture.hpp"

namespace espfab::pki::test_cmp {
namespace {

TEST_F(CmpCaTest, SharedSecretEnrolmentReturnsTheCertificateSignedForTheCsrAndItsChain) {
  auto server = pbm_server("dev.crt");
  CmpCa ca(pbm_config(server.url()));
  const IssuedCertificate issued = ca.sign(csr.get(), IssueProfile{});

  EXPECT_EQ(issued.certificate_pem, normalized(dir / "dev.crt"));
  ASSERT_EQ(issued.chain_pem.size(), 1u);
  EXPECT_EQ(issued.chain_pem[0], normalized(dir / "ca.crt"));
  EXPECT_EQ(issued.subject, "serialNumber=7c:df:a1:e2:c3:b4,CN=ESP-000123");
  std::string serial = openssl({"x509", "-in", path("dev.crt"), "-noout", "-serial"});  // "serial=0A1B...\n"
  serial = serial.substr(serial.find('=') + 1);
  serial = serial.substr(serial.find_first_not_of('0'));
  serial.erase(serial.find_last_not_of('\n') + 1);
  for (auto& c : serial) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(issued.serial_hex, serial);
  EXPECT_EQ(ca.ca_certificate_pem(), normalized(dir / "ca.crt"));

  // Independent check: the openssl CLI verifies what sign() returned against the test CA.
  write_text_file_atomic(dir / "out.crt", issued.certificate_pem);
  write_text_file_atomic(dir / "chain.crt", issued.chain_pem[0]);
  EXPECT_EQ(openssl({"verify", "-CAfile", path("chain.crt"), path("out.crt")}), path("out.crt") + ": OK\n");
  // The whole transaction ran: the P10CR, then the certConf (the mock's log does not name them).
  EXPECT_EQ(server.requests(), 2) << server.log();
}

TEST_F(CmpCaTest, SharedSecretFromTheEnvironment) {
  auto server = pbm_server("dev.crt");
  ::setenv("ESPFAB_TEST_CMP_SECRET", kSecret, 1);
  CmpCaConfig config = pbm_config(server.url());
  config.secret_file.clear();
  config.secret_env = "ESPFAB_TEST_CMP_SECRET";
  CmpCa ca(config);
  EXPECT_EQ(ca.sign(csr.get(), {}).certificate_pem, normalized(dir / "dev.crt"));
  EXPECT_EQ(ca.describe().find(kSecret), std::string::npos);
  ::unsetenv("ESPFAB_TEST_CMP_SECRET");
}

TEST_F(CmpCaTest, SignatureProtectionWithTheStationsCertificate) {
  issue_with_new_key("ca", "/CN=Test CMP Server", "srv", "keyUsage=critical,digitalSignature\n");
  issue_with_new_key("ca", "/CN=station-01", "sta", "keyUsage=critical,digitalSignature\n");
  test::CmpMockServer server(dir / "mock.log",
                             {"-srv_cert", path("srv.crt"), "-srv_key", path("srv.key"), "-srv_trusted", path("ca.crt"),
                              "-rsp_cert", path("dev.crt"), "-rsp_extracerts", path("ca.crt")});
  CmpCaConfig config;
  config.server = server.url();
  config.client_cert = dir / "sta.crt";
  config.client_key = dir / "sta.key";
  config.server_trust = dir / "ca.crt";
  config.ca_certificate = dir / "ca.crt";
  config.recipient = "/CN=Test CMP Server";
  CmpCa ca(config);
  EXPECT_NE(ca.describe().find("CN=station-01"), std::string::npos) << ca.describe();
  const auto issued = ca.sign(csr.get(), {});
  EXPECT_EQ(issued.certificate_pem, normalized(dir / "dev.crt"));
  ASSERT_EQ(issued.chain_pem.size(), 1u);
}

TEST_F(CmpCaTest, ServerSignedByAnUntrustedCaFailsTheProtectionCheck) {
  make_ca("rogue", "/CN=rogue CA");
  issue_with_new_key("rogue", "/CN=Test CMP Server", "srv", "keyUsage=critical,digitalSignature\n");
  issue_with_new_key("ca", "/CN=station-01", "sta", "keyUsage=critical,digitalSignature\n");
  test::CmpMockServer server(dir / "mock.log", {"-srv_cert", path("srv.crt"), "-srv_key", path("srv.key"),
                                                "-srv_trusted", path("ca.crt"), "-rsp_cert", path("dev.crt")});
  CmpCaConfig config;
  config.server = server.url();
  config.client_cert = dir / "sta.crt";
  config.client_key = dir / "sta.key";
  config.server_trust = dir / "ca.crt";
  config.ca_certificate = dir / "ca.crt";
  CmpCa ca(config);
  const auto error = sign_expecting<CryptoError>(ca);
  EXPECT_EQ(error.code(), "pki.cmp_protection");
  EXPECT_NE(error.hint().find("server_trust"), std::string::npos) << error.hint();
}

TEST_F(CmpCaTest, WrongSharedSecretIsACryptoErrorNamingTheServer) {
  auto server = pbm_server("dev.crt");
  write_text_file_atomic(dir / "secret", "not-the-secret\n", 0600);
  CmpCa ca(pbm_config(server.url()));
  const auto error = sign_expecting<CryptoError>(ca);
  EXPECT_EQ(error.code(), "pki.cmp_protection");
  EXPECT_NE(error.message().find(server.url()), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("shared secret"), std::string::npos) << error.hint();
  EXPECT_EQ(std::string(error.what()).find("not-the-secret"), std::string::npos) << error.what();
}

TEST_F(CmpCaTest, ServerDownIsAnIoErrorAfterBoundedRetries) {
  const std::string url = "http://127.0.0.1:" + std::to_string(test::free_port()) + "/pkix/";
  CmpCaConfig config = pbm_config(url);
  config.attempts = 3;
  config.retry_backoff = 100ms;
  CmpCa ca(config);
  const auto start = Clock::now();
  const auto error = sign_expecting<IoError>(ca);
  const double elapsed = seconds_since(start);
  EXPECT_GE(elapsed, 0.29);  // 100 + 200 ms between the three attempts
  EXPECT_LT(elapsed, 1.5);   // not the 10 s timeout
  EXPECT_NE(error.describe().find("after 3 attempts"), std::string::npos) << error.describe();
  EXPECT_EQ(error.code(), "pki.cmp_unreachable");
  EXPECT_NE(error.message().find(url), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("Connection refused"), std::string::npos) << error.message();
}

TEST_F(CmpCaTest, ServerThatNeverAnswersIsATimeout) {
  test::SilentListener hung;
  CmpCaConfig config = pbm_config("http://127.0.0.1:" + std::to_string(hung.port()) + "/pkix/");
  config.timeout = 1500ms;
  CmpCa ca(config);
  const auto start = Clock::now();
  const auto error = sign_expecting<TimeoutError>(ca);
  const double elapsed = seconds_since(start);
  EXPECT_GE(elapsed, 0.9);  // OpenSSL counts whole seconds
  EXPECT_LT(elapsed, 3.5);
  EXPECT_EQ(error.code(), "pki.cmp_timeout");
  EXPECT_NE(error.message().find("P10CR"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find(std::to_string(hung.port())), std::string::npos) << error.message();
}

TEST_F(CmpCaTest, CertificateForAnotherKeyIsRefusedInTheCertConf) {
  issue_with_new_key("ca", "/CN=ESP-000123", "other", kDeviceExtensions);
  auto server = pbm_server("other.crt");
  CmpCa ca(pbm_config(server.url()));
  const auto error = sign_expecting<CryptoError>(ca);
  EXPECT_EQ(error.code(), "pki.cmp_key_mismatch");
  EXPECT_NE(error.message().find(server.url()), std::string::npos) << error.message();
  // The CA was told: the certConf went out with a rejection.
  EXPECT_EQ(server.requests(), 2) << server.log();
  EXPECT_NE(server.log().find("certificate rejected by client"), std::string::npos) << server.log();
}

TEST_F(CmpCaTest, CertificateFromAnotherCaIsRefused) {
  make_ca("other-ca", "/CN=some other CA");
  issue("other-ca", dir / "dev.csr", "foreign", kDeviceExtensions);
  auto server = pbm_server("foreign.crt");
  CmpCa ca(pbm_config(server.url()));
  const auto error = sign_expecting<CryptoError>(ca);
  EXPECT_EQ(error.code(), "pki.cmp_untrusted_certificate");
  EXPECT_NE(error.message().find("ca.crt"), std::string::npos) << error.message();
}

TEST_F(CmpCaTest, CertificateTheProfileCannotUseIsRefused) {
  auto server = pbm_server("dev.crt");  // extendedKeyUsage clientAuth only
  CmpCa ca(pbm_config(server.url()));
  IssueProfile profile;
  profile.server_auth = true;
  const auto error = sign_expecting<PolicyRefusalError>(ca, profile);
  EXPECT_EQ(error.code(), "pki.cmp_profile_mismatch");
  EXPECT_NE(error.message().find("server authentication"), std::string::npos) << error.message();
}

TEST_F(CmpCaTest, RejectionIsAPolicyRefusalWithTheCasReason) {
  // PKIStatus rejection (2), failInfo badCertTemplate (bit 19), a statusString.
  auto server = pbm_server("dev.crt", {"-pkistatus", "2", "-failure", "19", "-statusstring", "serial not in the plan"});
  CmpCa ca(pbm_config(server.url()));
  const auto error = sign_expecting<PolicyRefusalError>(ca);
  EXPECT_EQ(error.code(), "pki.cmp_rejected");
  EXPECT_NE(error.message().find("rejection"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("badCertTemplate"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("serial not in the plan"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find(server.url()), std::string::npos) << error.message();
}

TEST_F(CmpCaTest, PollingWaitsForTheCertificate) {
  // "waiting" for the P10CR, then a pollRep with checkAfter 1 s, then the certificate.
  auto server = pbm_server("dev.crt", {"-poll_count", "2", "-check_after", "1"});
  CmpCaConfig config = pbm_config(server.url());
  config.timeout = 10s;  // OpenSSL 3.0 keeps 5 s of it for the last exchange once it polls
  CmpCa ca(config);
  const auto start = Clock::now();
  EXPECT_EQ(ca.sign(csr.get(), {}).certificate_pem, normalized(dir / "dev.crt"));
  EXPECT_GE(seconds_since(start), 0.9);
  EXPECT_EQ(server.requests(), 4) << server.log();  // P10CR, pollReq, pollReq, certConf
}

TEST_F(CmpCaTest, PollingLongerThanTheTimeoutIsATimeout) {
  // OpenSSL polls once more when the time is nearly up; the CA keeps saying "wait 60 s".
  auto server = pbm_server("dev.crt", {"-poll_count", "10", "-check_after", "60"});
  CmpCaConfig config = pbm_config(server.url());
  config.timeout = 8s;
  CmpCa ca(config);
  const auto start = Clock::now();
  const auto error = sign_expecting<TimeoutError>(ca);
  const double elapsed = seconds_since(start);
  EXPECT_GE(elapsed, 1.5);  // it did wait, up to the timeout less the 5 s OpenSSL 3.0 keeps
  EXPECT_LT(elapsed, 9.0);  // not the 60 s the CA asked for
  EXPECT_EQ(error.code(), "pki.cmp_timeout");
  EXPECT_NE(error.message().find("did not deliver the certificate"), std::string::npos) << error.message();
  EXPECT_GE(server.requests(), 2) << server.log();  // P10CR, pollReq (and maybe a last pollReq)
}

TEST_F(CmpCaTest, CsrWithABadSignatureIsRefusedBeforeAnythingIsSent) {
  CmpCa ca(pbm_config("http://127.0.0.1:" + std::to_string(test::free_port()) + "/pkix/"));
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("ESP-999999"), -1,
                             -1, 0);
  ASSERT_EQ(X509_REQ_set_subject_name(csr.get(), name.get()), 1);  // changed after signing
  const auto error = sign_expecting<BadInputError>(ca);
  EXPECT_EQ(error.code(), "pki.csr_signature");
}

TEST_F(CmpCaTest, ConfigurationMistakesAreNamed) {
  issue_with_new_key("ca", "/CN=station-01", "sta", "keyUsage=critical,digitalSignature\n");
  issue_with_new_key("ca", "/CN=station-02", "sta2", "keyUsage=critical,digitalSignature\n");
  write_text_file_atomic(dir / "open-secret", "x\n", 0644);
  write_text_file_atomic(dir / "not-pem", "hello\n");
  ::unsetenv("ESPFAB_TEST_CMP_NO_SECRET");
  struct Case {
    const char* name;
    std::function<void(CmpCaConfig&)> change;
    const char* code;
  };
  const std::vector<Case> cases{
      {"no scheme", [](CmpCaConfig& c) { c.server = "127.0.0.1:8080/pkix/"; }, "pki.cmp_config"},
      {"https without tls_trust", [](CmpCaConfig& c) { c.server = "https://127.0.0.1/pkix/"; }, "pki.cmp_config"},
      {"tls_trust with http", [&](CmpCaConfig& c) { c.tls_trust = dir / "ca.crt"; }, "pki.cmp_config"},
      {"tls_trust not PEM",
       [&](CmpCaConfig& c) {
         c.server = "https://127.0.0.1/pkix/";
         c.tls_trust = dir / "not-pem";
       },
       "pki.cmp_config"},
      {"ftp", [](CmpCaConfig& c) { c.server = "ftp://127.0.0.1/pkix/"; }, "pki.cmp_config"},
      {"query", [](CmpCaConfig& c) { c.server = "http://127.0.0.1/pkix/?a=b"; }, "pki.cmp_config"},
      {"zero timeout", [](CmpCaConfig& c) { c.timeout = 0ms; }, "pki.cmp_config"},
      {"no protection", [](CmpCaConfig& c) { c.secret_file.clear(); }, "pki.cmp_config"},
      {"both protections", [&](CmpCaConfig& c) { c.client_cert = dir / "sta.crt"; }, "pki.cmp_config"},
      {"two secrets", [](CmpCaConfig& c) { c.secret_env = "HOME"; }, "pki.cmp_config"},
      {"no reference", [](CmpCaConfig& c) { c.reference.clear(); }, "pki.cmp_config"},
      {"secret readable by others", [&](CmpCaConfig& c) { c.secret_file = dir / "open-secret"; },
       "pki.cmp_secret_mode"},
      {"secret file missing", [&](CmpCaConfig& c) { c.secret_file = dir / "missing"; }, "pki.cmp_secret_missing"},
      {"secret variable unset",
       [](CmpCaConfig& c) {
         c.secret_file.clear();
         c.secret_env = "ESPFAB_TEST_CMP_NO_SECRET";
       },
       "pki.cmp_secret_missing"},
      {"no ca_certificate", [](CmpCaConfig& c) { c.ca_certificate.clear(); }, "pki.cmp_config"},
      {"ca_certificate not PEM", [&](CmpCaConfig& c) { c.ca_certificate = dir / "not-pem"; }, "pki.bad_certificate"},
      {"recipient not slash form", [](CmpCaConfig& c) { c.recipient = "CN=Test CMP Server"; }, "pki.cmp_config"},
      {"recipient unknown type", [](CmpCaConfig& c) { c.recipient = "/XX=y"; }, "pki.cmp_config"},
      {"client key of another certificate",
       [&](CmpCaConfig& c) {
         c.secret_file.clear();
         c.client_cert = dir / "sta.crt";
         c.client_key = dir / "sta2.key";
         c.server_trust = dir / "ca.crt";
       },
       "pki.cmp_config"},
      {"client certificate without server_trust",
       [&](CmpCaConfig& c) {
         c.secret_file.clear();
         c.client_cert = dir / "sta.crt";
         c.client_key = dir / "sta.key";
       },
       "pki.cmp_config"},
  };
  for (const auto& test_case : cases) {
    CmpCaConfig config = pbm_config("http://127.0.0.1:8080/pkix/");
    test_case.change(config);
    try {
      CmpCa ca(config);
      ADD_FAILURE() << test_case.name << ": accepted";
    } catch (const BadInputError& e) {
      EXPECT_EQ(e.code(), test_case.code) << test_case.name << ": " << e.what();
      EXPECT_FALSE(e.hint().empty()) << test_case.name;
    }
  }
}

TEST_F(CmpCaTest, DescribeNamesTheServerTheCaAndTheProtection) {
  CmpCa ca(pbm_config("http://ca.example:8080/pkix/"));
  const std::string text = ca.describe();
  EXPECT_NE(text.find("http://ca.example:8080/pkix/"), std::string::npos) << text;
  EXPECT_NE(text.find("CN=espfab test company CA"), std::string::npos) << text;
  EXPECT_NE(text.find("station01"), std::string::npos) << text;
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
}

}  // namespace
}  // namespace espfab::pki::test_cmp
