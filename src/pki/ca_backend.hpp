// One interface for every company CA the profile can choose: the local CA (a key file in a
// directory), later a PKCS#11 HSM and CMP to a remote CA. A backend signs a device CSR and returns
// the certificate with its chain.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pki/openssl_types.hpp"

namespace espfab::pki {

// What the profile says a device certificate looks like.
struct IssueProfile {
  std::chrono::days validity{3650};
  bool client_auth = true;   // extendedKeyUsage clientAuth
  bool server_auth = false;  // extendedKeyUsage serverAuth as well
  bool copy_sans = true;     // subjectAltName from the CSR
};

struct IssuedCertificate {
  std::string certificate_pem;         // the device certificate
  std::vector<std::string> chain_pem;  // issuer first, up to the root
  std::string serial_hex;
  std::string subject;  // RFC 2253
};

// One certificate the CA issued, as its index records it.
struct IndexEntry {
  std::string serial_hex;
  std::string not_after;
  std::string subject;  // RFC 2253
  std::string sha256;   // lower-case hex of the DER
};

// True when the entry's subject has exactly this CN (RFC 2253: "CN=x,O=..." or "...,CN=x").
bool issued_to(const IndexEntry& entry, std::string_view common_name);

// An interface, used by reference; implementations choose their own copy and move.
class CaBackend {  // NOLINT(cppcoreguidelines-special-member-functions)
 public:
  virtual ~CaBackend() = default;
  // Checks the CSR's own signature first (BadInputError if it does not verify).
  virtual IssuedCertificate sign(X509_REQ* csr, const IssueProfile& profile) = 0;
  // The certificate devices chain to (for esp_secure_cert's CA record and for verification).
  virtual std::string ca_certificate_pem() const = 0;
  virtual std::string describe() const = 0;
  // Every certificate the CA issued, when it keeps an index the station can read (local and
  // PKCS#11 CAs keep index.txt); nullopt for a remote CA. Audits compare it with the audit log.
  virtual std::optional<std::vector<IndexEntry>> issued_index() const { return std::nullopt; }
};

}  // namespace espfab::pki
