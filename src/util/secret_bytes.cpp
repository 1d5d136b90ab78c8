#include "util/secret_bytes.hpp"

#include <openssl/crypto.h>

#include <ostream>
#include <utility>

namespace espfab {

void secure_wipe(void* data, std::size_t size) noexcept {
  if (data != nullptr && size != 0) OPENSSL_cleanse(data, size);
}

SecretBytes::SecretBytes(std::size_t size) : bytes_(size, 0) {}

SecretBytes::SecretBytes(std::vector<std::uint8_t>&& bytes) noexcept : bytes_(std::move(bytes)) {
  secure_wipe(bytes.data(), bytes.size());  // moved-from vector is empty; wipe anything left
}

SecretBytes::SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes::~SecretBytes() { wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.wipe(); }

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.wipe();
  }
  return *this;
}

SecretBytes SecretBytes::clone() const { return SecretBytes(std::span<const std::uint8_t>(bytes_)); }

void SecretBytes::wipe() noexcept {
  // Wipe the whole allocation, not only the live part.
  secure_wipe(bytes_.data(), bytes_.capacity());
  bytes_.clear();
  bytes_.shrink_to_fit();
}

std::string SecretBytes::redacted() const { return "<redacted " + std::to_string(bytes_.size()) + " bytes>"; }

bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::ostream& operator<<(std::ostream& out, const SecretBytes& secret) { return out << secret.redacted(); }

}  // namespace espfab
