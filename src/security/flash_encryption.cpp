#include "security/flash_encryption.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/xts_aes.hpp"

namespace espfab::security {

namespace {

constexpr std::size_t kAes128KeyFile = 32;
constexpr std::size_t kAes256KeyFile = 64;

// The chip's convention around the standard XTS-AES of util/xts_aes.hpp: each 128-byte unit is
// reversed, encrypted as one data unit with the unit's flash address as tweak, and reversed again.
class UnitCipher {
 public:
  UnitCipher(const FlashEncryptionKey& key, bool encrypt)
      : xts_(key.key_file_bytes().view(),
             encrypt ? crypto::XtsAes::Direction::Encrypt : crypto::XtsAes::Direction::Decrypt) {}

  // Processes one unit at flash address `unit_address` (multiple of 0x80) in place.
  void process(std::uint32_t unit_address, std::array<std::uint8_t, kXtsUnitSize>& unit) {
    crypto::XtsTweak tweak{};
    store_le32(tweak, 0, unit_address);
    std::reverse(unit.begin(), unit.end());
    xts_.process(tweak, unit, unit);
    std::reverse(unit.begin(), unit.end());
  }

 private:
  crypto::XtsAes xts_;
};

void process_in_place(const FlashEncryptionKey& key, std::uint32_t address, std::span<std::uint8_t> data,
                      bool encrypt) {
  check_flash_encryption_alignment(address, data.size());
  UnitCipher cipher(key, encrypt);
  std::array<std::uint8_t, kXtsUnitSize> unit{};
  std::size_t done = 0;
  std::uint64_t position = address;
  while (done < data.size()) {
    const auto unit_address = static_cast<std::uint32_t>(position & ~std::uint64_t{kXtsUnitSize - 1});
    const std::size_t offset_in_unit = static_cast<std::size_t>(position - unit_address);
    const std::size_t count = std::min(kXtsUnitSize - offset_in_unit, data.size() - done);
    // Padding around a partial unit is zero, as in espsecure; only the requested bytes come back.
    unit.fill(0);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(done), count,
                unit.begin() + static_cast<std::ptrdiff_t>(offset_in_unit));
    cipher.process(unit_address, unit);
    std::copy_n(unit.begin() + static_cast<std::ptrdiff_t>(offset_in_unit), count,
                data.begin() + static_cast<std::ptrdiff_t>(done));
    done += count;
    position += count;
  }
  secure_wipe(unit.data(), unit.size());
}

}  // namespace

FlashEncryptionKey::FlashEncryptionKey(SecretBytes key_file_bytes) : key_(std::move(key_file_bytes)) {
  if (key_.size() != kAes128KeyFile && key_.size() != kAes256KeyFile) {
    throw BadInputError("security.fe_key_size",
                        fmt::format("a flash encryption key file has 32 bytes (XTS-AES-128) or 64 bytes "
                                    "(XTS-AES-256), this one has {}",
                                    key_.size()),
                        "generate one with `espfab flash-encryption generate-key` or espsecure "
                        "generate_flash_encryption_key --keylen 256|512");
  }
  const std::size_t half = key_.size() / 2;
  if (std::equal(key_.data(), key_.data() + half, key_.data() + half)) {
    throw BadInputError("security.fe_key_halves", "the two halves of the flash encryption key are equal",
                        "XTS needs different data and tweak keys; generate a new random key");
  }
}

FlashEncryptionKey FlashEncryptionKey::generate(XtsKeyLength length) {
  return FlashEncryptionKey(crypto::random_secret(length == XtsKeyLength::Aes128 ? kAes128KeyFile : kAes256KeyFile));
}

FlashEncryptionKey FlashEncryptionKey::from_efuse_blocks(std::span<const SecretBytes> blocks) {
  if (blocks.empty() || blocks.size() > 2) {
    throw BadInputError("security.fe_key_blocks", "a flash encryption key spans one or two eFuse key blocks");
  }
  SecretBytes key(blocks.size() * kEfuseKeyBlockSize);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].size() != kEfuseKeyBlockSize) {
      throw BadInputError("security.fe_key_blocks", "an eFuse key block holds 32 bytes");
    }
    std::reverse_copy(blocks[i].data(), blocks[i].data() + kEfuseKeyBlockSize, key.data() + i * kEfuseKeyBlockSize);
  }
  return FlashEncryptionKey(std::move(key));
}

XtsKeyLength FlashEncryptionKey::length() const noexcept {
  return key_.size() == kAes128KeyFile ? XtsKeyLength::Aes128 : XtsKeyLength::Aes256;
}

SecretBytes FlashEncryptionKey::efuse_block_bytes(std::size_t index) const {
  if (index >= block_count()) {
    throw InternalError("security.fe_key_block_index", "the key has no eFuse block " + std::to_string(index));
  }
  SecretBytes block(kEfuseKeyBlockSize);
  const std::uint8_t* half = key_.data() + index * kEfuseKeyBlockSize;
  std::reverse_copy(half, half + kEfuseKeyBlockSize, block.data());
  return block;
}

void check_flash_encryption_alignment(std::uint64_t address, std::size_t size) {
  if (address % kFlashEncryptionAlign != 0) {
    throw BadInputError("security.fe_unaligned_address",
                        fmt::format("Starting flash address 0x{:x} must be a multiple of 16", address),
                        "encrypted data starts on a 16-byte boundary in flash");
  }
  if (size % kFlashEncryptionAlign != 0) {
    throw BadInputError("security.fe_unaligned_length",
                        fmt::format("Input data length ({}) must be a multiple of 16", size),
                        "pad the data (0xFF, as esptool does before an encrypted write) to a multiple of 16 bytes");
  }
  if (size == 0) throw BadInputError("security.fe_empty", "Input data must be longer than 0");
  if (address + size > std::uint64_t{std::numeric_limits<std::uint32_t>::max()} + 1) {
    throw BadInputError("security.fe_address_range",
                        fmt::format("{} bytes at 0x{:x} run past the 32-bit flash address space", size, address));
  }
}

void encrypt_flash_in_place(const FlashEncryptionKey& key, std::uint32_t address, std::span<std::uint8_t> data) {
  process_in_place(key, address, data, true);
}

void decrypt_flash_in_place(const FlashEncryptionKey& key, std::uint32_t address, std::span<std::uint8_t> data) {
  process_in_place(key, address, data, false);
}

Bytes encrypt_flash_data(const FlashEncryptionKey& key, std::uint32_t address, ByteView plaintext) {
  Bytes out(plaintext.begin(), plaintext.end());
  encrypt_flash_in_place(key, address, out);
  return out;
}

Bytes decrypt_flash_data(const FlashEncryptionKey& key, std::uint32_t address, ByteView ciphertext) {
  Bytes out(ciphertext.begin(), ciphertext.end());
  decrypt_flash_in_place(key, address, out);
  return out;
}

void encrypt_flash_plan(const FlashEncryptionKey& key, std::vector<FlashRegion>& regions) {
  for (auto& region : regions) {
    if (!region.encrypted) continue;
    try {
      check_flash_encryption_alignment(region.address,
                                       static_cast<std::size_t>(align_up(region.data.size(), kFlashEncryptionAlign)));
    } catch (Error& error) {
      error.with_context(fmt::format("encrypting {} at 0x{:x}", region.name, region.address));
      throw;
    }
  }
  for (auto& region : regions) {
    if (!region.encrypted) continue;
    // Like esptool before an encrypted write: pad with 0xFF to the 16-byte write granularity.
    region.data.resize(static_cast<std::size_t>(align_up(region.data.size(), kFlashEncryptionAlign)), 0xFF);
    encrypt_flash_in_place(key, region.address, region.data);
  }
}

}  // namespace espfab::security
