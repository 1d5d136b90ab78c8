// The chip's Digital Signature peripheral (docs/emulator.md, "HMAC and DS peripherals"): RSA
// signing with a private key the chip only ever holds encrypted. Software gives the parameters
// (esp_ds_data_t: L, IV, ciphertext C), the message and the key id of a key block with purpose
// HMAC_DOWN_DIGITAL_SIGNATURE or HMAC_DOWN_ALL. Inside the chip:
// 1. the HMAC accelerator derives the AES-256 key from the block (downstream mode); a block with
//    another purpose fails here (DsError::HmacFail);
// 2. C is decrypted with AES-256-CBC into Y || M || Rb || MD || M' || L || padding
//    (chip/esp32s3_ds.hpp);
// 3. Z = X^Y mod M is computed by Montgomery multiplication with the given Rb and M' (as the
//    hardware does: wrong Rb or M' give a wrong signature, not an error);
// 4. the result is released only if MD = SHA-256(Y || M || Rb || M' || L || IV) and the padding is
//    8 x 0x08: a wrong key block, a wrong IV or a changed C fails the digest check.
// Decrypted parameters and the derived key are wiped before returning.
#pragma once

#include <array>
#include <cstdint>

#include <tl/expected.hpp>

#include "chip/esp32s3_ds.hpp"
#include "emulator/hmac_peripheral.hpp"
#include "util/bytes.hpp"

namespace espfab::emulator {

// ESP-IDF's esp_ds_sign results for each (esp_ds.h).
enum class DsError {
  HmacFail,         // ESP_ERR_HW_CRYPTO_DS_HMAC_FAIL: no key for the DS from that key block
  InvalidDigest,    // ESP_ERR_HW_CRYPTO_DS_INVALID_DIGEST: the MD check failed
  InvalidPadding,   // ESP_ERR_HW_CRYPTO_DS_INVALID_PADDING: the padding check failed
  InvalidArgument,  // ESP_ERR_INVALID_ARG: rsa_length above 4096 bits, or a message of another length
};

// esp_ds_data_t of the ESP32-S3.
struct DsData {
  std::uint32_t rsa_length = 0;  // L = bits / 32 - 1
  std::array<std::uint8_t, chip::esp32s3_ds::kIvSize> iv{};
  ByteView ciphertext{};  // chip::esp32s3_ds::kCiphertextSize bytes
};

class DsPeripheral {
 public:
  explicit DsPeripheral(const HmacPeripheral& hmac) : hmac_(hmac) {}

  // esp_ds_sign: `message` and the signature are (L + 1) * 4 bytes, little-endian (word 0 first).
  tl::expected<Bytes, DsError> sign(ByteView message, const DsData& data, unsigned key_id) const;

 private:
  const HmacPeripheral& hmac_;
};

// What ESP-IDF's DS-backed TLS signing (the mbedTLS RSA alternative) does around the peripheral:
// the PKCS#1 v1.5 encoding of a SHA-256 digest, byte-reversed into the DS's order, and the
// signature reversed back. Returns the big-endian RSASSA-PKCS1-v1_5 signature a peer verifies.
tl::expected<Bytes, DsError> ds_sign_sha256_pkcs1(const DsPeripheral& ds, const DsData& data, unsigned key_id,
                                                  ByteView sha256_digest);

}  // namespace espfab::emulator
