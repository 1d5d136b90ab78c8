// Digital Signature (DS) parameters of an ESP32-S3 (docs/identity.md, "DS and HMAC keys"): an RSA
// private key sealed for the DS peripheral. The station computes them once, from the RSA key, the
// 32-byte HMAC key it burns into a key block with purpose HMAC_DOWN_DIGITAL_SIGNATURE and a fresh
// IV; the device keeps only the ciphertext, which only its own DS peripheral can decrypt. Layout
// and constants: chip/esp32s3_ds.hpp. Byte-identical to esp_secure_cert_mgr's
// calculate_rsa_ds_params for the same inputs (tests/vectors/ds).
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>

#include "chip/esp32s3_ds.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::security {

using DsIv = std::array<std::uint8_t, chip::esp32s3_ds::kIvSize>;

// What the device keeps (esp_ds_data_t): not secret, the key to it never leaves the chip.
struct DsParams {
  unsigned rsa_bits = 0;  // 1024, 2048, 3072 or 4096
  DsIv iv{};
  Bytes ciphertext;  // chip::esp32s3_ds::kCiphertextSize bytes

  std::uint32_t rsa_length() const noexcept { return chip::esp32s3_ds::rsa_length_field(rsa_bits); }
};

// The AES-256 key the DS peripheral derives from its key block: HMAC-SHA256(hmac_key, 32 x 0xFF).
// Throws BadInputError when hmac_key is not 32 bytes.
SecretBytes ds_aes_key(ByteView hmac_key);

// Seals an RSA private key. Every intermediate secret (d, the plaintext, the AES key) is wiped
// before returning. Throws BadInputError when the key is not RSA of a supported size (bits in
// chip::esp32s3_ds::kSupportedRsaBits) or hmac_key is not 32 bytes.
DsParams encrypt_ds_params(EVP_PKEY* rsa_key, ByteView hmac_key, const DsIv& iv);
// The same from an unencrypted PEM private key (PKCS#8 or PKCS#1).
DsParams encrypt_ds_params(const SecretBytes& rsa_key_pem, ByteView hmac_key, const DsIv& iv);

// A fresh random IV (what the tool draws with os.urandom).
DsIv random_ds_iv();

}  // namespace espfab::security
