// The esp_secure_cert partition files of `espfab secure-cert generate|info`, one service each:
// build the TLV partition from a device certificate, its private key and the CA certificate
// (checked to belong together) and write it with mode 0600; read a partition back and describe
// its records. The partition holds the device private key: its bytes stay in SecretBytes and the
// results carry no key material. Errors name the CLI's options. docs/identity.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image/secure_cert_tlv.hpp"
#include "util/result.hpp"

namespace espfab::service {

struct SecureCertGenerateRequest {
  std::filesystem::path device_cert{};  // PEM
  std::filesystem::path private_key{};  // PEM, unencrypted
  std::filesystem::path ca_cert{};      // PEM, the issuer of device_cert
  std::filesystem::path output{};       // written atomically, mode 0600
  bool integrity = true;                // append the integrity record (SHA-256 of the others)
};

struct SecureCertGenerateResult {
  std::size_t size = 0;           // bytes written
  std::string ca_subject{};       // RFC 2253
  std::string device_subject{};   // RFC 2253
  std::string key_description{};  // "EC 256", "RSA 2048"
};

// Throws BadInputError secure_cert.bad_certificate, secure_cert.bad_private_key,
// secure_cert.key_mismatch or secure_cert.not_issued_by_ca (and the partition builder's errors)
// before anything is written.
SecureCertGenerateResult generate_secure_cert(const SecureCertGenerateRequest& request);

struct SecureCertRecordInfo {
  image::SecureCertTlv tlv{};
  std::string type_name{};                // "ca_cert", "priv_key", ...
  std::vector<std::string> flag_names{};  // of tlv.flags
  std::optional<std::string> subject{};   // certificate records that parse as PEM
  std::optional<std::string> key{};       // plaintext private key: "EC 256", or "unreadable"
};

struct SecureCertInfo {
  std::size_t size = 0;  // of the file
  std::size_t end = 0;   // offset after the last record
  bool tail_erased = true;
  bool nonzero_padding = false;
  bool nonzero_reserved = false;
  bool valid = false;  // at least one record, every CRC and integrity digest right
  std::vector<SecureCertRecordInfo> records{};
};

// Reads and checks a partition file. Throws when the file cannot be read; a file that is not a TLV
// partition comes back as the parser's error (with the file as context) for the caller to report
// in its format.
Result<SecureCertInfo> inspect_secure_cert(const std::filesystem::path& input);

}  // namespace espfab::service
