// The company CA of `espfab ca init|sign`, one service each: create a local CA in a directory (a
// new P-256 key, mode 0600, and its self-signed certificate) or the self-signed certificate and
// fresh state of a CA whose key is in a PKCS#11 token, proven by opening it; and issue a device
// certificate for a CSR with a local CA. docs/identity.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "pki/pkcs11_ca.hpp"

namespace espfab::service {

inline constexpr const char* kDefaultLocalCaName = "espfab Local CA";
inline constexpr const char* kDefaultHsmCaName = "espfab HSM CA";

struct CaInitRequest {
  std::filesystem::path dir{};                  // a local CA here (created; must not hold a CA) ...
  std::optional<pki::Pkcs11CaConfig> pkcs11{};  // ... or the certificate and state of a key in a token
  std::string common_name{};                    // empty: kDefaultLocalCaName or kDefaultHsmCaName
  std::string organization{};
  std::chrono::days validity{7300};
};

struct CaInitResult {
  std::string description{};  // the CA as it describes itself ("local CA CN=...")
  // PKCS#11: the station profile's [ca] settings for it, with the pin file, certificate and state
  // directory as absolute paths (the profile may live elsewhere than the current directory).
  std::optional<pki::Pkcs11CaConfig> profile{};
};

// Refuses (PolicyRefusalError pki.ca_exists) to overwrite an existing CA; token errors as for
// pki::Pkcs11Ca::open.
CaInitResult init_ca(const CaInitRequest& request);

struct CaSignRequest {
  std::filesystem::path csr{};     // PEM
  std::filesystem::path output{};  // the certificate (PEM), written atomically
  std::filesystem::path ca_dir{};  // made by init_ca
  std::chrono::days validity{3650};
  bool server_auth = false;  // serverAuth besides clientAuth
  bool chain = false;        // append the CA certificate to the output
};

struct CaSignResult {
  std::string serial_hex{};
  std::string subject{};         // RFC 2253
  std::string ca_description{};  // the issuing CA
};

CaSignResult sign_certificate_request(const CaSignRequest& request);

}  // namespace espfab::service
