// `espfab ca init|sign` as a user runs them: a CA directory with a 0600 key, certificates that
// chain to it with increasing serials, refusals with the right exit codes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <string>

#include "support/run_command.hpp"
#include "support/temp_dir.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"

namespace espfab::test {
namespace {

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

std::string make_csr_pem(const std::string& cn) {
  auto key = crypto::generate_ec_p256();
  X509_REQ* req = X509_REQ_new();
  X509_NAME* name = X509_REQ_get_subject_name(req);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req, key.get());
  X509_REQ_sign(req, key.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  X509_REQ_free(req);
  return pem;
}

bool verifies(const std::string& cert_pem, const std::string& ca_pem) {
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* ab = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  X509* ca = PEM_read_bio_X509(ab, nullptr, nullptr, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
  X509_free(ca);
  BIO_free(cb);
  BIO_free(ab);
  return ok;
}

TEST(CaCli, InitSignAndRefusals) {
  TempDir dir;
  const auto ca = dir / "ca";
  auto result = run_espfab({"ca", "init", ca.string(), "--cn", "Test CA", "--org", "espfab test"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  struct stat info {};
  ASSERT_EQ(::stat((ca / "ca.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  result = run_espfab({"ca", "init", ca.string()});
  EXPECT_EQ(result.exit_code, 6);
  expect_contains(result.err, "pki.ca_exists");

  for (int n = 1; n <= 3; ++n) {
    write_text_file_atomic(dir / "dev.csr", make_csr_pem(fmt::format("ESP-{:06}", n)));
    const auto cert = dir / fmt::format("dev{}.crt", n);
    result = run_espfab({"ca", "sign", (dir / "dev.csr").string(), "-o", cert.string(), "--ca-dir", ca.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    expect_contains(result.out, fmt::format("serial {}", n));
    EXPECT_TRUE(verifies(read_text_file(cert), read_text_file(ca / "ca.crt")));
  }

  write_text_file_atomic(dir / "bad.csr", "not a csr\n");
  result =
      run_espfab({"ca", "sign", (dir / "bad.csr").string(), "-o", (dir / "bad.crt").string(), "--ca-dir", ca.string()});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "pki.bad_csr");
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.crt"));

  result = run_espfab(
      {"ca", "sign", (dir / "dev.csr").string(), "-o", (dir / "x.crt").string(), "--ca-dir", dir.path().string()});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result.err, "pki.ca_missing");
}

}  // namespace
}  // namespace espfab::test
