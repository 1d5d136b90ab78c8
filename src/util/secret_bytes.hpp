// Bytes that hold a secret (a private key, a flash-encryption key, a password): wiped when
// destroyed or moved from, never copied implicitly, and printed only as "<redacted N bytes>".
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace espfab {

// Overwrites memory in a way the optimiser cannot remove (OPENSSL_cleanse).
void secure_wipe(void* data, std::size_t size) noexcept;

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);
  // Takes the bytes and wipes the source.
  explicit SecretBytes(std::vector<std::uint8_t>&& bytes) noexcept;
  SecretBytes(std::span<const std::uint8_t> bytes);  // copies explicitly named bytes
  ~SecretBytes();

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  // An explicit copy, for the rare place that must hold the secret twice.
  SecretBytes clone() const;

  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::span<const std::uint8_t> view() const noexcept { return bytes_; }
  std::span<std::uint8_t> mutable_view() noexcept { return bytes_; }

  void wipe() noexcept;
  std::string redacted() const;

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) noexcept;

 private:
  std::vector<std::uint8_t> bytes_;
};

std::ostream& operator<<(std::ostream& out, const SecretBytes& secret);

}  // namespace espfab
