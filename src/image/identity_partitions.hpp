// The station's in-memory path from an issued identity to flash images: the esp_secure_cert
// partition and/or an encrypted NVS partition holding the device certificate, CA certificate and
// private key. Nothing touches the disk; the private key leaves the EVP_PKEY only into SecretBytes.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "image/nvs_format.hpp"
#include "image/nvs_keys.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::image {

struct DeviceIdentityMaterial {
  std::string_view device_cert_pem;
  std::string_view ca_cert_pem;
  EVP_PKEY* private_key = nullptr;
};

// esp_secure_cert TLV partition (CA cert, device cert, plaintext key as traditional PEM, integrity).
SecretBytes build_identity_secure_cert(const DeviceIdentityMaterial& identity);

struct IdentityNvsLayout {
  std::string namespace_name = "identity";
  std::string device_cert_key = "dev_cert";  // string, PEM
  std::string ca_cert_key = "ca_cert";       // string, PEM; left out when the CA cert is empty
  std::string private_key_key = "priv_key";  // string, traditional PEM
  std::size_t size = 0x6000;
  NvsVersion version = NvsVersion::V2;
};

// NVS partition with the identity, XTS-AES encrypted with `keys` (the device's nvs_keys partition).
Bytes build_identity_nvs(const DeviceIdentityMaterial& identity, const NvsKeys& keys,
                         const IdentityNvsLayout& layout = {});

}  // namespace espfab::image
