// ESP32-S3 flash encryption on the host, byte for byte as the chip's XTS-AES engine and espsecure's
// encrypt_flash_data --aes_xts (docs/efuse-and-security-facts.md §10): 128-byte units, tweak =
// flash address of the unit (uint32 LE, 12 zero bytes), plaintext and ciphertext of each unit
// byte-reversed around a standard IEEE-1619 XTS-AES. Keys are held in SecretBytes only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::security {

inline constexpr std::size_t kXtsUnitSize = 0x80;           // one XTS data unit (1024 bits)
inline constexpr std::uint32_t kFlashEncryptionAlign = 16;  // address and length granularity
inline constexpr std::size_t kEfuseKeyBlockSize = 32;

enum class XtsKeyLength {
  Aes128,  // 32-byte key file, one key block, purpose XTS_AES_128_KEY
  Aes256,  // 64-byte key file, two key blocks, purposes XTS_AES_256_KEY_1 and _2
};

// A device flash-encryption key in key-file byte order (what espsecure reads and writes: data key
// then tweak key). The eFuse key blocks hold each 32-byte half reversed (docs/efuse-and-security-facts.md §6).
class FlashEncryptionKey {
 public:
  // 32 or 64 bytes; anything else throws BadInputError("security.fe_key_size").
  explicit FlashEncryptionKey(SecretBytes key_file_bytes);
  static FlashEncryptionKey generate(XtsKeyLength length);
  // From the eFuse key block contents (register byte order, as read back from an unprotected block
  // or as the device holds it): one block for XTS-AES-128, two (KEY_1, KEY_2) for XTS-AES-256.
  static FlashEncryptionKey from_efuse_blocks(std::span<const SecretBytes> blocks);

  XtsKeyLength length() const noexcept;
  std::size_t block_count() const noexcept { return key_.size() / kEfuseKeyBlockSize; }
  const SecretBytes& key_file_bytes() const noexcept { return key_; }
  // The 32 bytes burn_key writes into the key block for half `index` (reversed half).
  SecretBytes efuse_block_bytes(std::size_t index) const;

 private:
  SecretBytes key_;
};

// espsecure's rules: address % 16 == 0, size % 16 == 0, size > 0; throws BadInputError
// ("security.fe_unaligned_address", "security.fe_unaligned_length", "security.fe_empty").
void check_flash_encryption_alignment(std::uint64_t address, std::size_t size);

// Encrypts/decrypts `data` in place as it sits in flash at `address`.
void encrypt_flash_in_place(const FlashEncryptionKey& key, std::uint32_t address, std::span<std::uint8_t> data);
void decrypt_flash_in_place(const FlashEncryptionKey& key, std::uint32_t address, std::span<std::uint8_t> data);

Bytes encrypt_flash_data(const FlashEncryptionKey& key, std::uint32_t address, ByteView plaintext);
Bytes decrypt_flash_data(const FlashEncryptionKey& key, std::uint32_t address, ByteView ciphertext);

// One piece of a flash plan: what goes at `address`, and whether the chip reads it encrypted.
struct FlashRegion {
  std::string name;  // for messages ("bootloader")
  std::uint32_t address = 0;
  Bytes data;
  bool encrypted = false;
};

// Encrypts every region flagged `encrypted` for this device's key, in place. All regions are
// checked first (alignment, 32-bit address range), so a bad plan changes nothing; the error names
// the region.
void encrypt_flash_plan(const FlashEncryptionKey& key, std::vector<FlashRegion>& regions);

}  // namespace espfab::security
