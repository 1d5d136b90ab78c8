// The host-side flash encryption files of `espfab flash-encryption encrypt|decrypt|generate-key`,
// one service each: encrypt or decrypt a file for the flash address it lives at with a key file
// (security/flash_encryption.hpp, byte-identical to espsecure), and write a random key file with
// mode 0600. Key bytes stay in SecretBytes; outputs are written atomically. docs/security.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "security/flash_encryption.hpp"

namespace espfab::service {

enum class FlashCryptDirection { Encrypt, Decrypt };

struct FlashCryptRequest {
  FlashCryptDirection direction = FlashCryptDirection::Encrypt;
  std::filesystem::path key_file{};  // 32 bytes (XTS-AES-128) or 64 bytes (XTS-AES-256), espsecure's order
  std::uint32_t address = 0;         // flash address of the data (multiple of 16)
  std::filesystem::path input{};
  std::filesystem::path output{};
};

struct FlashCryptResult {
  std::size_t size = 0;  // bytes written
  security::XtsKeyLength key_length = security::XtsKeyLength::Aes128;
};

// Throws BadInputError for a key file of the wrong size or unaligned data (with the file as
// context) before anything is written.
FlashCryptResult crypt_flash_file(const FlashCryptRequest& request);

// Writes a random key file (mode 0600) of `length`; for tests and development.
void generate_flash_encryption_key_file(security::XtsKeyLength length, const std::filesystem::path& output);

}  // namespace espfab::service
