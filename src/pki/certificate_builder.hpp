// Building and issuing X.509 certificates, shared by every CA backend that holds its own key (the
// local CA, the PKCS#11 CA): the self-signed CA certificate, device certificates from CSRs, and
// the issuance state directory that keeps serial numbers unique. The signing key is any EVP_PKEY,
// one in memory or one that lives in an HSM (libp11); SHA-256 throughout.
//
// Issuance state directory:
//   serial    the next serial number (hex); advanced atomically *before* a certificate is signed,
//             so a crash can skip a number but never hand one out twice
//   index.txt one line per issued certificate: serial, notAfter, subject, SHA-256 fingerprint;
//             appended and flushed after signing
//   lock      flock'ed while issuing (several threads or station processes may share the directory)
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pki/ca_backend.hpp"
#include "pki/openssl_types.hpp"

namespace espfab::pki {

// The subject and lifetime of a CA certificate.
struct CaCertificateSpec {
  std::string common_name = "espfab CA";
  std::string organization{};
  std::chrono::days validity{7300};
};

// A self-signed CA certificate for `key`: random 63-bit serial, basicConstraints critical CA:TRUE
// pathlen 0, keyUsage critical keyCertSign cRLSign, SKI and AKI, signed by `key`. Throws
// CryptoError when OpenSSL (or the token behind the key) fails.
X509Ptr build_ca_certificate(EVP_PKEY* key, const CaCertificateSpec& spec);

// Throws BadInputError (pki.csr_signature) when the CSR's signature does not verify with its own key.
void verify_csr_signature(X509_REQ* csr);

// A device certificate from a CSR, not yet numbered or signed: the CSR's subject and key, issued
// by `issuer`, basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage and SANs as
// `profile` asks, SKI and AKI.
X509Ptr build_device_certificate(X509_REQ* csr, X509* issuer, const IssueProfile& profile);

// What signs: the CA certificate (issuer name, AKI, the chain) and its private key.
struct CaSigner {
  X509* certificate = nullptr;
  std::string_view certificate_pem{};
  EVP_PKEY* key = nullptr;
};

// Writes a fresh state into `dir` (created if missing): serial 1 and an empty index.txt.
void init_issuance_state(const std::filesystem::path& dir);
// Whether `dir` holds a serial file.
bool has_issuance_state(const std::filesystem::path& dir);

// The whole issuance: checks the CSR's signature, builds the certificate, reserves the next serial
// in `state_dir` under its lock (durably, before signing), signs with `signer.key` and appends the
// certificate to index.txt. Throws BadInputError for a bad CSR or a damaged serial file, IoError
// when the state cannot be written, CryptoError when signing fails.
IssuedCertificate issue_certificate(X509_REQ* csr, const IssueProfile& profile, const CaSigner& signer,
                                    const std::filesystem::path& state_dir);

// Lines of index.txt, for audits and tests.
std::size_t issued_count(const std::filesystem::path& state_dir);
// Every line of index.txt (ca_backend.hpp's IndexEntry), in issue order.
std::vector<IndexEntry> read_index(const std::filesystem::path& state_dir);

}  // namespace espfab::pki
