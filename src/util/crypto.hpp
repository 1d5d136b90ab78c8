// RAII wrappers over OpenSSL 3: digests, AES block cipher, and key objects. Every failure throws
// CryptoError with OpenSSL's own reason attached.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/bytes.hpp"
#include "util/openssl_handle.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Md5Digest = std::array<std::uint8_t, 16>;

using EvpMdCtxPtr = OpenSslHandle<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherCtxPtr = OpenSslHandle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpPkeyPtr = OpenSslHandle<EVP_PKEY, EVP_PKEY_free>;

// The newest OpenSSL error as text ("error:0480006C:PEM routines::no start line"); clears the queue.
std::string last_openssl_error();

// Incremental digest (SHA-256, MD5, ...). Finish once.
class Digest {
 public:
  explicit Digest(const EVP_MD* md);
  Digest& update(ByteView data);
  Bytes finish();

 private:
  EvpMdCtxPtr ctx_;
};

Sha256Digest sha256(ByteView data);
Md5Digest md5(ByteView data);

// AES in ECB mode on whole 16-byte blocks, no padding: the primitive XTS and the eFuse-key
// derivations are built from. Key of 16, 24 or 32 bytes.
class AesEcb {
 public:
  enum class Direction { Encrypt, Decrypt };
  AesEcb(ByteView key, Direction direction);
  // in.size() must be a multiple of 16; out may alias in.
  void process(ByteView in, std::span<std::uint8_t> out);

 private:
  EvpCipherCtxPtr ctx_;
};

// Keys. Private keys are read from PEM (PKCS#8 or traditional) held in SecretBytes.
EvpPkeyPtr load_private_key_pem(const SecretBytes& pem);
EvpPkeyPtr load_public_key_pem(std::string_view pem);
EvpPkeyPtr generate_ec_p256();
EvpPkeyPtr generate_rsa(unsigned bits);
std::string public_key_pem(EVP_PKEY* key);
// PKCS#8 PEM of a private key, as a secret.
SecretBytes private_key_pem(EVP_PKEY* key);
// "Traditional" PEM of a private key (RSA: PKCS#1 "RSA PRIVATE KEY", EC: SEC1 "EC PRIVATE KEY"),
// as a secret: what Python cryptography writes for PrivateFormat.TraditionalOpenSSL.
SecretBytes private_key_pem_traditional(EVP_PKEY* key);

// Cryptographically secure random bytes.
SecretBytes random_secret(std::size_t size);

}  // namespace espfab::crypto
