#include "service/flash_encryption_operations.hpp"

#include <fmt/format.h>

#include <utility>

#include "util/file_io.hpp"

namespace espfab::service {
namespace {

security::FlashEncryptionKey load_key(const std::filesystem::path& path) {
  Bytes raw = read_file(path);
  try {
    return security::FlashEncryptionKey(SecretBytes(std::move(raw)));
  } catch (Error& error) {
    error.with_context("reading key file " + path.string());
    throw;
  }
}

}  // namespace

FlashCryptResult crypt_flash_file(const FlashCryptRequest& request) {
  const bool encrypt = request.direction == FlashCryptDirection::Encrypt;
  const auto key = load_key(request.key_file);
  Bytes data = read_file(request.input);
  try {
    if (encrypt) {
      security::encrypt_flash_in_place(key, request.address, data);
    } else {
      security::decrypt_flash_in_place(key, request.address, data);
    }
  } catch (Error& error) {
    error.with_context(fmt::format("{} {}", encrypt ? "encrypting" : "decrypting", request.input.string()));
    throw;
  }
  // Decrypted output is firmware plaintext, not key material; both are written atomically.
  write_file_atomic(request.output, data);
  return {.size = data.size(), .key_length = key.length()};
}

void generate_flash_encryption_key_file(security::XtsKeyLength length, const std::filesystem::path& output) {
  const auto key = security::FlashEncryptionKey::generate(length);
  write_file_atomic(output, key.key_file_bytes().view(), 0600);
}

}  // namespace espfab::service
