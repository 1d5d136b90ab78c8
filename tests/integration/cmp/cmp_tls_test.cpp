// CmpCa over https://: socat terminates TLS in front of the `openssl cmp` mock server (which only
// speaks HTTP) with a server certificate from a test TLS CA; the station verifies that certificate
// against [ca] tls_trust and the URL's host name or address.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cmp/cmp_test_fixture.hpp"
#include "cmp/tls_front.hpp"

namespace espfab::pki::test_cmp {
namespace {

// "At once", on a loaded CI machine: far below what a retry (tls_config's 20 s backoff) or a
// request timeout (10 s) would take, far above a handshake failure (milliseconds).
constexpr double kFast = 5.0;

constexpr const char* kTlsServerExtensions =
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=serverAuth\n";

class CmpTlsTest : public CmpCaTest {
 protected:
  void SetUp() override {
    CmpCaTest::SetUp();
    // The TLS PKI is not the company CA: tls-ca.crt issues the front's certificate.
    make_ca("tls-ca", "/CN=espfab test TLS CA");
    issue_with_new_key("tls-ca", "/CN=cmp.test", "tls",
                       std::string(kTlsServerExtensions) + "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  }

  test::TlsFront front(const test::CmpMockServer& server, const std::string& cert = "tls") {
    return test::TlsFront(dir / "socat.log", dir / (cert + ".crt"), dir / (cert + ".key"), server.port());
  }

  CmpCaConfig tls_config(const std::string& url, const std::string& trust = "tls-ca.crt") const {
    CmpCaConfig config = pbm_config(url);
    config.tls_trust = dir / trust;
    config.attempts = 3;         // a TLS failure must not be retried: these tests measure that
    config.retry_backoff = 20s;  // a retry would take longer than kFast; no retry is far below it
    return config;
  }

  // The failure came at once (no retry, no timeout) and the mock saw no request.
  template <typename E>
  E refused_at_once(CmpCa& ca, const test::CmpMockServer& server) {
    const auto start = Clock::now();
    const E error = sign_expecting<E>(ca);
    EXPECT_LT(seconds_since(start), kFast) << "retried or waited";
    EXPECT_EQ(error.describe().find("attempts"), std::string::npos) << error.describe();
    EXPECT_EQ(server.requests(), 0) << server.log();
    return error;
  }
};

TEST_F(CmpTlsTest, EnrolmentOverHttpsReturnsTheCertificateOfTheMock) {
  auto server = pbm_server("dev.crt");
  auto tls = front(server);
  CmpCa ca(tls_config(tls.url()));
  EXPECT_NE(ca.describe().find(tls.url()), std::string::npos) << ca.describe();
  const IssuedCertificate issued = ca.sign(csr.get(), IssueProfile{});
  EXPECT_EQ(issued.certificate_pem, normalized(dir / "dev.crt"));
  ASSERT_EQ(issued.chain_pem.size(), 1u);
  EXPECT_EQ(issued.chain_pem[0], normalized(dir / "ca.crt"));
  EXPECT_EQ(server.requests(), 2) << server.log();  // P10CR and certConf, each over its own TLS connection
}

TEST_F(CmpTlsTest, EnrolmentOverHttpsByHostName) {
  auto server = pbm_server("dev.crt");
  auto tls = front(server);
  CmpCa ca(tls_config(tls.url("localhost")));  // SNI and the check use the DNS name
  EXPECT_EQ(ca.sign(csr.get(), {}).certificate_pem, normalized(dir / "dev.crt"));
}

TEST_F(CmpTlsTest, TrustFileMayHoldTheServerCertificateItself) {
  auto server = pbm_server("dev.crt");
  auto tls = front(server);
  CmpCa ca(tls_config(tls.url(), "tls.crt"));  // pinned: any certificate of tls_trust is an anchor
  EXPECT_EQ(ca.sign(csr.get(), {}).certificate_pem, normalized(dir / "dev.crt"));
}

TEST_F(CmpTlsTest, ServerCertificateFromAnotherCaIsRefusedWithoutRetry) {
  auto server = pbm_server("dev.crt");
  auto tls = front(server);
  CmpCa ca(tls_config(tls.url(), "ca.crt"));  // the company CA did not issue the TLS certificate
  const auto error = refused_at_once<CryptoError>(ca, server);
  EXPECT_EQ(error.code(), "pki.cmp_tls_verify");
  EXPECT_NE(error.message().find(tls.url()), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("failed verification: unable to get local issuer certificate"), std::string::npos)
      << error.message();
  EXPECT_NE(error.message().find("CN=cmp.test"), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("tls_trust"), std::string::npos) << error.hint();
}

TEST_F(CmpTlsTest, ServerCertificateForAnotherNameOrAddressIsRefused) {
  issue_with_new_key("tls-ca", "/CN=other", "other-tls",
                     std::string(kTlsServerExtensions) + "subjectAltName=DNS:ca.example,IP:10.0.0.1\n");
  auto server = pbm_server("dev.crt");
  auto tls = front(server, "other-tls");
  for (const auto& [host, reason] :
       {std::pair{"127.0.0.1", "IP address mismatch"}, std::pair{"localhost", "hostname mismatch"}}) {
    CmpCa ca(tls_config(tls.url(host)));
    const auto error = refused_at_once<CryptoError>(ca, server);
    EXPECT_EQ(error.code(), "pki.cmp_tls_verify");
    EXPECT_NE(error.message().find(reason), std::string::npos) << error.message();
    EXPECT_NE(error.hint().find(std::string("not issued for '") + host + "'"), std::string::npos) << error.hint();
  }
}

TEST_F(CmpTlsTest, HttpsToAPlainHttpServerIsAHandshakeFailure) {
  auto server = pbm_server("dev.crt");
  CmpCa ca(tls_config("https://127.0.0.1:" + std::to_string(server.port()) + "/pkix/"));
  const auto start = Clock::now();
  const auto error = sign_expecting<ProtocolError>(ca);
  EXPECT_LT(seconds_since(start), kFast) << "retried or waited";
  EXPECT_EQ(error.code(), "pki.cmp_tls_handshake");
  EXPECT_NE(error.message().find("wrong version number"), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("http://"), std::string::npos) << error.hint();
}

TEST_F(CmpTlsTest, HttpToTheTlsPortFailsFast) {
  auto server = pbm_server("dev.crt");
  auto tls = front(server);
  CmpCaConfig config = pbm_config("http://127.0.0.1:" + std::to_string(tls.port()) + "/pkix/");
  config.attempts = 1;
  CmpCa ca(config);
  const auto start = Clock::now();
  const auto error = sign_expecting<IoError>(ca);
  EXPECT_LT(seconds_since(start), kFast) << "waited";
  EXPECT_EQ(error.code(), "pki.cmp_http");
  EXPECT_NE(error.hint().find("https://"), std::string::npos) << error.hint();
  EXPECT_EQ(server.requests(), 0) << server.log();
  EXPECT_NE(tls.log().find("http request"), std::string::npos) << tls.log();  // socat saw HTTP, not TLS
}

TEST_F(CmpTlsTest, ServerThatNeverCompletesTheHandshakeIsATimeout) {
  test::SilentListener hung;  // accepts in the kernel, never answers the ClientHello
  CmpCaConfig config = tls_config("https://127.0.0.1:" + std::to_string(hung.port()) + "/pkix/");
  config.timeout = 1000ms;
  CmpCa ca(config);
  const auto start = Clock::now();
  const auto error = sign_expecting<TimeoutError>(ca);
  EXPECT_GE(seconds_since(start), 0.9);
  EXPECT_LT(seconds_since(start), kFast) << "retried";
  EXPECT_EQ(error.code(), "pki.cmp_timeout");
  EXPECT_NE(error.message().find("no TLS handshake"), std::string::npos) << error.message();
}

TEST_F(CmpTlsTest, TlsFrontDownIsAnIoErrorRetriedLikeHttp) {
  CmpCaConfig config = tls_config("https://127.0.0.1:" + std::to_string(test::free_port()) + "/pkix/");
  config.retry_backoff = 100ms;
  CmpCa ca(config);
  const auto error = sign_expecting<IoError>(ca);
  EXPECT_EQ(error.code(), "pki.cmp_unreachable");
  EXPECT_NE(error.describe().find("after 3 attempts"), std::string::npos) << error.describe();
}

}  // namespace
}  // namespace espfab::pki::test_cmp
