// Secure Boot V2 RSA-3072 keys: loading from PEM, the public key in the form the signature block
// and the ROM hold it (n, e, r_inv, m_prime, little-endian), its SHA-256 digest (what a
// SECURE_BOOT_DIGESTn key block holds), and a signing interface so an HSM key can stand in for a
// PEM file (docs/efuse-and-security-facts.md §9).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::security {

inline constexpr unsigned kSbv2RsaBits = 3072;
inline constexpr std::size_t kSbv2RsaBytes = kSbv2RsaBits / 8;  // 384
inline constexpr std::size_t kSbv2KeyPartSize = 776;            // n + e + r_inv + m_prime

using KeyDigest = crypto::Sha256Digest;

// The 776-byte key part of an RSA signature block (bytes 36..811).
struct Sbv2RsaPublicKey {
  std::array<std::uint8_t, kSbv2RsaBytes> n{};      // modulus, little-endian
  std::uint32_t e = 0;                              // public exponent
  std::array<std::uint8_t, kSbv2RsaBytes> r_inv{};  // 2^6144 mod n, little-endian
  std::uint32_t m_prime = 0;                        // -n^-1 mod 2^32

  Bytes key_part() const;
  KeyDigest digest() const;  // SHA-256 of key_part()
  static Sbv2RsaPublicKey from_key_part(ByteView key_part);
  // An OpenSSL public key with this modulus and exponent.
  crypto::EvpPkeyPtr to_evp() const;
};

// From any RSA-3072 key (public or private); anything else throws BadInputError
// ("security.sbv2_key_type").
Sbv2RsaPublicKey sbv2_public_key(EVP_PKEY* key);

// A PEM file holding an RSA-3072 private key (PKCS#8 or PKCS#1) or public key
// (SubjectPublicKeyInfo). Unreadable or wrong keys throw BadInputError naming the file.
crypto::EvpPkeyPtr load_sbv2_key_file(const std::filesystem::path& path, bool require_private);

// Something that signs a 32-byte image digest with RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) and
// knows its public key. PEM files today; PKCS#11 keys implement the same interface.
// An interface, used by reference; implementations choose their own copy and move.
class SigningKey {  // NOLINT(cppcoreguidelines-special-member-functions)
 public:
  virtual ~SigningKey() = default;
  virtual const Sbv2RsaPublicKey& public_key() const = 0;
  // Conventional big-endian RSA signature, kSbv2RsaBytes long.
  virtual Bytes sign_digest(const crypto::Sha256Digest& digest) const = 0;
};

class PemSigningKey final : public SigningKey {
 public:
  explicit PemSigningKey(crypto::EvpPkeyPtr private_key);
  static std::unique_ptr<PemSigningKey> from_file(const std::filesystem::path& path);
  const Sbv2RsaPublicKey& public_key() const override { return public_key_; }
  Bytes sign_digest(const crypto::Sha256Digest& digest) const override;

 private:
  crypto::EvpPkeyPtr key_;
  Sbv2RsaPublicKey public_key_;
};

// RSA-PSS (SHA-256, MGF1-SHA-256, salt 32) check of a big-endian signature over a 32-byte digest.
bool rsa_pss_verify(EVP_PKEY* key, const crypto::Sha256Digest& digest, ByteView signature_be);

}  // namespace espfab::security
