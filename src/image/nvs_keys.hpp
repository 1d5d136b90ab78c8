// Keys of an encrypted NVS partition (docs/idf-flash-formats.md §2, "Encryption" and "nvs_keys"):
// 64 bytes of XTS-AES-256 material (data key, tweak key), the 4096-byte nvs_keys partition that
// holds them with a CRC, the HMAC-derived variant, and the per-slot cipher (data unit = one
// 32-byte entry, tweak = its address relative to the partition start, little-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"
#include "util/xts_aes.hpp"

namespace espfab::image {

inline constexpr std::size_t kNvsKeysPartitionSize = 4096;
inline constexpr std::size_t kNvsKeyMaterialSize = 64;
inline constexpr std::size_t kNvsHmacKeySize = 32;

class NvsKeys {
 public:
  // Data key (32 bytes) followed by tweak key (32 bytes). Throws BadInputError on another size or
  // equal halves (XTS needs two different keys).
  explicit NvsKeys(SecretBytes material);

  // Fresh random keys.
  static NvsKeys generate();
  // nvs_partition_gen's --key_protect_hmac scheme: data key = HMAC-SHA256(hmac_key, 5A5ABEAE x 8),
  // tweak key = HMAC-SHA256(hmac_key, A5A5DECE x 8). The HMAC key is 32 bytes (an eFuse key block
  // with purpose HMAC_UP on the device).
  static NvsKeys from_hmac_key(ByteView hmac_key);

  const SecretBytes& material() const noexcept { return material_; }
  ByteView encryption_key() const noexcept { return material_.view().first(32); }
  ByteView tweak_key() const noexcept { return material_.view().subspan(32); }

 private:
  SecretBytes material_;
};

// The nvs_keys partition image: key material, u32 CRC32/zlib-FFFF of it, 0xFF to 4096 bytes.
SecretBytes build_nvs_keys_partition(const NvsKeys& keys);

// Reads keys from an nvs_keys partition image (at least 68 bytes, CRC checked) or a raw 64-byte
// key file. Throws BadInputError when erased, too short, or the CRC is wrong.
NvsKeys read_nvs_keys_partition(ByteView file);

// Encrypts or decrypts whole 32-byte entry slots of one partition.
class NvsSlotCipher {
 public:
  NvsSlotCipher(const NvsKeys& keys, crypto::XtsAes::Direction direction);
  // `address` is the slot's offset from the partition start (page * 4096 + 64 + slot * 32).
  void process(std::size_t address, ByteView in, std::span<std::uint8_t> out);

 private:
  crypto::XtsAes xts_;
};

}  // namespace espfab::image
