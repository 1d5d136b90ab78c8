// The identity of [identity] container = "ds" (docs/identity.md, "Choosing a container"): the
// device's RSA key sealed for the ESP32-S3 Digital Signature peripheral with a fresh per-device
// HMAC key, and the esp_secure_cert partition that holds the sealed parameters (DS data and DS
// context records) next to the certificates. The RSA key is only read here (the caller frees it);
// the HMAC key goes back to the caller, which burns it read-protected into `key_block` and wipes it.
#pragma once

#include <openssl/evp.h>

#include <string_view>

#include "util/secret_bytes.hpp"

namespace espfab::station {

struct SealedDsIdentity {
  SecretBytes secure_cert_partition;  // nothing in it is secret without the HMAC key; kept as a secret anyway
  SecretBytes hmac_key;               // 32 bytes, for the HMAC_DOWN_DIGITAL_SIGNATURE key block
  unsigned rsa_bits = 0;
};

// Throws BadInputError when the key is not RSA 2048/3072/... as the DS takes it, or the partition
// would exceed what esp_secure_cert can hold.
SealedDsIdentity seal_ds_identity(std::string_view device_cert_pem, std::string_view ca_cert_pem, EVP_PKEY* rsa_key,
                                  unsigned key_block);

}  // namespace espfab::station
