// A remote company CA reached over CMP (RFC 4210 / RFC 9480, HTTP transport per RFC 6712) with
// OpenSSL 3's CMP client. The device CSR is sent as it is in a P10CR (the device key never leaves
// the station's memory, so no proof of possession other than the CSR's own signature is
// possible); the request is protected by a shared secret (PBM) or by the station's certificate.
//
// The issued certificate is checked before it is confirmed to the CA (certConf): its public key
// must be the CSR's and it must chain to `ca_certificate` (intermediates from the response's
// extraCerts and caPubs). A certificate that fails either check is rejected in the certConf, so
// the CA learns it was not accepted, and sign() throws CryptoError.
//
// The messages travel over HTTP or, for an https:// server, over TLS with the server's certificate
// verified against `tls_trust` and the URL's host (cmp_transport.hpp).
//
// Errors (messages name the server URL): server unreachable IoError (transient); no answer in
// time TimeoutError; PKIStatus rejection PolicyRefusalError with the failInfo and statusString;
// failed message protection (wrong secret or trust) or a TLS certificate that does not verify
// CryptoError; anything else (a failed TLS handshake too) ProtocolError.
#pragma once

#include <openssl/cmp.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "pki/ca_backend.hpp"
#include "pki/cmp_transport.hpp"
#include "util/crypto.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::pki {

struct CmpCaConfig {
  // "https://host:port/path" (TLS; port 443 when left out) or "http://host:port/path" (port 80).
  std::string server;
  // With https://: the certificates (PEM, one or more) the server's TLS certificate must chain to;
  // required (there is no fallback to the system's CA store), refused with http://. The
  // certificate must also be issued for the URL's host name or IP address.
  std::filesystem::path tls_trust{};
  // Protection by a shared secret (PBM): the sender KID and where the secret is. Exactly one of
  // secret_env (an environment variable's name) and secret_file (mode 0600, one trailing newline
  // ignored) is set.
  std::string reference{};
  std::string secret_env{};
  std::filesystem::path secret_file{};
  // Or protection by the station's signature: its certificate and private key (PEM).
  std::filesystem::path client_cert{};
  std::filesystem::path client_key{};
  // Certificates that verify the server's signature-protected responses (PEM, one or more);
  // required with client_cert, optional with a shared secret.
  std::filesystem::path server_trust{};
  // The certificate devices chain to (PEM): returned by ca_certificate_pem() and the trust anchor
  // every issued certificate is verified against. Required.
  std::filesystem::path ca_certificate{};
  // The whole enrolment (P10CR, polling, certConf) must finish within this; OpenSSL counts whole
  // seconds, so it is rounded up to a second.
  std::chrono::milliseconds timeout{10000};
  // The recipient name in OpenSSL's "/CN=Test CMP Server/O=ACME" form; empty: OpenSSL's default
  // (the issuer of client_cert, else the empty name).
  std::string recipient{};
  // A server that cannot be reached (refused, unreachable, an HTTP error) is tried this many times
  // in all, `retry_backoff` apart (doubling); a rejection, a timeout or a protection failure is not
  // retried.
  unsigned attempts = 3;
  std::chrono::milliseconds retry_backoff{500};
};

class CmpCa final : public CaBackend {
 public:
  // Checks the configuration and loads its files (the secret is read to check that it is there,
  // then wiped). Throws BadInputError naming the key at fault, IoError when a file cannot be read.
  explicit CmpCa(CmpCaConfig config);

  // One P10CR transaction (bounded retries while the server cannot be reached). The profile cannot be sent in a P10CR
  // (the CA's own certificate profile decides validity, extensions and SANs); profile.client_auth / server_auth are
  // checked on the returned certificate (PolicyRefusalError when its extendedKeyUsage forbids them).
  IssuedCertificate sign(X509_REQ* csr, const IssueProfile& profile) override;
  std::string ca_certificate_pem() const override { return ca_certificate_pem_; }
  std::string describe() const override;

  const CmpCaConfig& config() const noexcept { return config_; }

 private:
  IssuedCertificate sign_once(X509_REQ* csr, const IssueProfile& profile);
  SecretBytes load_secret() const;
  // Timeouts, protection, trust and recipient; sign() adds the CSR and the callbacks.
  void configure_context(OSSL_CMP_CTX* ctx, const SecretBytes& secret) const;
  std::string url() const;

  CmpCaConfig config_;
  CmpTransport transport_;
  std::string ca_certificate_pem_;
  X509Ptr ca_certificate_;
  std::vector<X509Ptr> server_trust_;
  X509Ptr client_cert_;
  crypto::EvpPkeyPtr client_key_;
  X509NamePtr recipient_;
};

}  // namespace espfab::pki
