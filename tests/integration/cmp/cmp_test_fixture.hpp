// The fixture of the CMP integration tests: a test company CA made by the openssl CLI, a device
// CSR signed by it (dev.crt), a shared-secret file, and helpers to issue certificates and start
// the `openssl cmp` mock server.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "cmp/cmp_mock_server.hpp"
#include "pki/cmp_ca.hpp"
#include "pki/csr.hpp"
#include "pki/device_key.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::pki::test_cmp {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kSecret = "test1234";
inline constexpr const char* kDeviceExtensions =
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n";

inline std::string openssl(const std::vector<std::string>& args) {
  const auto result = test::run_command("/usr/bin/openssl", args);
  if (result.exit_code != 0) {
    std::string line = "openssl";
    for (const auto& arg : args) line += " " + arg;
    throw std::runtime_error(line + " failed: " + result.err + result.out);
  }
  return result.out;
}

// The PEM of a certificate file as OpenSSL writes it, for comparisons.
inline std::string normalized(const std::filesystem::path& file) {
  return certificate_to_pem(certificate_from_pem(read_text_file(file)).get());
}

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class CmpCaTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  crypto::EvpPkeyPtr device_key = generate_key(KeyType::EcP256);
  X509ReqPtr csr = make_csr(device_key.get(), SubjectTemplate{}, DeviceNames{"ESP-000123", "7c:df:a1:e2:c3:b4"});

  void SetUp() override {
    make_ca("ca", "/CN=espfab test company CA");
    write_text_file_atomic(dir / "dev.csr", csr_to_pem(csr.get()));
    issue("ca", dir / "dev.csr", "dev", kDeviceExtensions);
    write_text_file_atomic(dir / "secret", std::string(kSecret) + "\n", 0600);
  }

  std::string path(const std::string& name) const { return (dir / name).string(); }

  void make_ca(const std::string& name, const std::string& subject) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
             path(name + ".key"), "-out", path(name + ".crt"), "-days", "2", "-subj", subject});
  }

  // `out`.crt from the CSR file, signed by the CA `ca`.
  void issue(const std::string& ca, const std::filesystem::path& csr_file, const std::string& out,
             const std::string& extensions) {
    write_text_file_atomic(dir / (out + ".ext"), extensions);
    openssl({"x509", "-req", "-in", csr_file.string(), "-CA", path(ca + ".crt"), "-CAkey", path(ca + ".key"),
             "-CAcreateserial", "-days", "2", "-extfile", path(out + ".ext"), "-out", path(out + ".crt")});
  }

  // `out`.key and `out`.crt: a new P-256 key and its certificate from the CA `ca`.
  void issue_with_new_key(const std::string& ca, const std::string& subject, const std::string& out,
                          const std::string& extensions) {
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path(out + ".key"),
             "-out", path(out + ".csr"), "-subj", subject});
    issue(ca, dir / (out + ".csr"), out, extensions);
  }

  // The mock with shared-secret (PBM) protection, answering with `rsp_cert` and the test CA as
  // extraCerts and caPubs.
  test::CmpMockServer pbm_server(const std::string& rsp_cert, const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{"-srv_ref",    "srvref",       "-srv_secret",     std::string("pass:") + kSecret,
                                  "-rsp_cert",   path(rsp_cert), "-rsp_extracerts", path("ca.crt"),
                                  "-rsp_capubs", path("ca.crt")};
    args.insert(args.end(), more.begin(), more.end());
    return test::CmpMockServer(dir / "mock.log", args);
  }

  CmpCaConfig pbm_config(const std::string& url) const {
    CmpCaConfig config;
    config.server = url;
    config.reference = "station01";
    config.secret_file = dir / "secret";
    config.ca_certificate = dir / "ca.crt";
    config.timeout = 10s;
    return config;
  }

  template <typename E>
  E sign_expecting(CmpCa& ca, const IssueProfile& profile = {}) {
    try {
      ca.sign(csr.get(), profile);
    } catch (const E& e) {
      EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos) << "the secret leaked: " << e.what();
      return e;
    } catch (const Error& e) {
      ADD_FAILURE() << "another error kind: " << to_string(e.kind()) << " " << e.code() << ": " << e.what();
      throw;
    }
    ADD_FAILURE() << "sign() succeeded";
    throw std::runtime_error("sign() succeeded");
  }
};

}  // namespace espfab::pki::test_cmp
