// Certificate signing requests for devices, from the profile's subject template: CN = the serial
// number by default, optional O and OU, serialNumber = the MAC, optional SANs. Placeholders
// {serial} and {mac} are filled in every field.
#pragma once

#include <string>
#include <vector>

#include "pki/openssl_types.hpp"
#include "util/crypto.hpp"

namespace espfab::pki {

struct SubjectTemplate {
  std::string common_name = "{serial}";
  std::string organization{};
  std::string organizational_unit{};
  std::string serial_number = "{mac}";   // the subject's serialNumber attribute; empty = none
  std::vector<std::string> dns_names{};  // subjectAltName dNSName entries
  std::vector<std::string> uris{};       // subjectAltName URI entries
};

struct DeviceNames {
  std::string serial;  // e.g. "ESP-000123"
  std::string mac;     // e.g. "7c:df:a1:e2:c3:b4"
};

// Replaces {serial} and {mac}; throws BadInputError on another {placeholder}.
std::string expand_template(const std::string& text, const DeviceNames& device);

// A CSR signed by `key` (SHA-256). Throws BadInputError when the expanded CN is empty or a field
// is longer than X.509 allows (64 characters), CryptoError when OpenSSL fails.
X509ReqPtr make_csr(EVP_PKEY* key, const SubjectTemplate& subject, const DeviceNames& device);

}  // namespace espfab::pki
