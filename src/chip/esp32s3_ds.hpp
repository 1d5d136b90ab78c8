// ESP32-S3 HMAC and Digital Signature (DS) peripheral facts as data (docs/identity.md, "DS and
// HMAC keys"). Sources: ESP32-S3 TRM chapters "HMAC Accelerator" and "Digital Signature";
// ESP-IDF esp_ds.h (ESP_DS_IV_LEN, ESP_DS_C_LEN = 12672 / 8 on the S3),
// esp_hmac.h, soc_caps.h (SOC_RSA_MAX_BIT_LEN = 4096); esp_secure_cert_mgr
// tools/esp_secure_cert/configure_ds.py (supported RSA sizes per target, plaintext layout, the
// AES key message) and tlv_format_construct.py (DS data and DS context records). Checked byte for
// byte by tests/vectors/ds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace espfab::chip::esp32s3_ds {

// ---- HMAC peripheral ----

inline constexpr std::size_t kHmacKeySize = 32;     // one eFuse key block
inline constexpr std::size_t kHmacResultSize = 32;  // HMAC-SHA256

// ---- DS peripheral ----

// The largest RSA operand the S3's DS handles; every operand is stored at this width.
inline constexpr unsigned kMaxRsaBits = 4096;
inline constexpr std::size_t kOperandSize = kMaxRsaBits / 8;  // 512 bytes: Y, M, Rb
// RSA sizes the DS parameter tool accepts for the S3.
inline constexpr std::array<unsigned, 4> kSupportedRsaBits{1024, 2048, 3072, 4096};

inline constexpr std::size_t kIvSize = 16;
inline constexpr std::size_t kDigestSize = 32;  // MD = SHA-256
// The DS decrypts its parameters with AES-256-CBC under the key the HMAC peripheral computes in
// downstream mode over this message: HMAC-SHA256(key block, 32 x 0xFF).
inline constexpr std::uint8_t kAesKeyMessageByte = 0xFF;
inline constexpr std::size_t kAesKeyMessageSize = 32;
// The plaintext ends with 8 bytes of 0x08 (the check the TRM calls the padding check).
inline constexpr std::uint8_t kPaddingByte = 0x08;
inline constexpr std::size_t kPaddingSize = 8;

// Plaintext P = Y || M || Rb || MD || M' || L || padding, all numbers little-endian, Y/M/Rb
// zero-extended to kOperandSize. MD = SHA-256(Y || M || Rb || M' || L || IV).
inline constexpr std::size_t kOffsetY = 0;
inline constexpr std::size_t kOffsetM = kOffsetY + kOperandSize;
inline constexpr std::size_t kOffsetRb = kOffsetM + kOperandSize;
inline constexpr std::size_t kOffsetMd = kOffsetRb + kOperandSize;
inline constexpr std::size_t kOffsetMPrime = kOffsetMd + kDigestSize;  // u32: -M^-1 mod 2^32
inline constexpr std::size_t kOffsetLength = kOffsetMPrime + 4;        // u32: L = bits / 32 - 1
inline constexpr std::size_t kOffsetPadding = kOffsetLength + 4;
inline constexpr std::size_t kCiphertextSize = kOffsetPadding + kPaddingSize;  // ESP_DS_C_LEN
static_assert(kCiphertextSize == 12672 / 8);
static_assert(kCiphertextSize % 16 == 0);  // CBC without further padding

// L as the DS and esp_ds_data_t.rsa_length hold it: the operand length in 32-bit words, minus one.
constexpr std::uint32_t rsa_length_field(unsigned rsa_bits) { return rsa_bits / 32 - 1; }

// esp_secure_cert records of a DS identity (the C structs esp_ds_data_t and
// esp_ds_data_ctx_t as the tool packs them, little-endian).
// DS data (type 3): i32 rsa_length (L) || IV || C.
inline constexpr std::size_t kDsDataRecordSize = 4 + kIvSize + kCiphertextSize;  // 1604
// DS context (type 4): u32 0 (a pointer on the device) || u8 eFuse key id (0..5, KEY0..KEY5)
// || u8 0 || u16 RSA size in bits.
inline constexpr std::size_t kDsContextRecordSize = 8;

}  // namespace espfab::chip::esp32s3_ds
