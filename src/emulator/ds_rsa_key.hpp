// An OpenSSL key whose private operation runs on the emulated DS peripheral: what ESP-IDF's
// esp_secure_cert_mgr + mbedTLS DS support give a production firmware's TLS stack. The public half
// (n, e) comes from the device certificate; signing pads in software (PKCS#1 v1.5 or PSS, done by
// OpenSSL as mbedTLS does it on the device) and hands the encoded message to DsPeripheral::sign, so
// the private key never exists outside the peripheral. Built on OpenSSL's RSA_METHOD (the only
// non-provider hook for a custom private operation; deprecated in OpenSSL 3 but present in every
// 3.x).
#pragma once

#include <openssl/evp.h>

#include "emulator/ds_peripheral.hpp"
#include "util/crypto.hpp"

namespace espfab::emulator {

// `ds` (and the HMAC peripheral and eFuse controller behind it) must outlive the key; the key
// keeps its own copy of the parameters. Throws CryptoError when the public key is not RSA or its
// size does not match the parameters' L. A DS failure at signing time makes the signature fail
// (OpenSSL reports an error; a TLS handshake aborts).
crypto::EvpPkeyPtr make_ds_rsa_key(EVP_PKEY* public_key, const DsPeripheral& ds, const DsData& data, unsigned key_id);

}  // namespace espfab::emulator
