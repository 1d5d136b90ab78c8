// The local CA: a P-256 key and self-signed certificate in a directory, issuing device certificates
// with unique, never reused serial numbers.
//
// Directory layout (docs/identity.md):
//   ca.key    PKCS#8 PEM private key, mode 0600
//   ca.crt    self-signed CA certificate (basicConstraints CA:TRUE pathlen 0, keyCertSign, cRLSign)
//   serial    the next serial number (hex); advanced atomically *before* a certificate is signed,
//             so a crash can skip a number but never hand one out twice
//   index.txt one line per issued certificate: serial, notAfter, subject, SHA-256 fingerprint;
//             appended and flushed after signing
//   lock      flock'ed while issuing (several station processes may share the directory)
#pragma once

#include <filesystem>
#include <string>

#include "pki/ca_backend.hpp"
#include "util/crypto.hpp"

namespace espfab::pki {

struct LocalCaOptions {
  std::string common_name = "espfab Local CA";
  std::string organization{};
  std::chrono::days validity{7300};
};

class LocalCa final : public CaBackend {
 public:
  // Creates the CA in `dir` (created if missing; must not already hold a CA). Throws
  // PolicyRefusalError when it does, IoError when it cannot write.
  static LocalCa init(const std::filesystem::path& dir, const LocalCaOptions& options = {});
  // Opens an existing CA; throws BadInputError when files are missing or the key does not match.
  static LocalCa open(const std::filesystem::path& dir);

  IssuedCertificate sign(X509_REQ* csr, const IssueProfile& profile) override;
  std::string ca_certificate_pem() const override { return certificate_pem_; }
  std::string describe() const override;
  std::optional<std::vector<IndexEntry>> issued_index() const override;

  const std::filesystem::path& directory() const noexcept { return dir_; }
  // Lines of index.txt, for audits and tests.
  std::size_t issued_count() const;

 private:
  LocalCa(std::filesystem::path dir, crypto::EvpPkeyPtr key, std::string certificate_pem);

  std::filesystem::path dir_;
  crypto::EvpPkeyPtr key_;
  std::string certificate_pem_;
  X509Ptr certificate_;
};

// Checks `certificate_pem` chains to `ca_pem` with OpenSSL's verifier (X509_verify_cert, purpose
// sslclient). Returns the verifier's error text, or an empty string when it verifies.
std::string verify_chain(const std::string& certificate_pem, const std::string& ca_pem);

}  // namespace espfab::pki
