#include "util/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "util/error.hpp"

namespace espfab::crypto {

namespace {

using BioPtr = OpenSslHandle<BIO, BIO_free>;
using PkeyCtxPtr = OpenSslHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

[[noreturn]] void fail(std::string code, std::string what) {
  throw CryptoError(std::move(code), what + ": " + last_openssl_error(),
                    "check the key or data; if it persists, the OpenSSL installation may be broken");
}

void check(int ok, const char* code, const char* what) {
  if (ok != 1) fail(code, what);
}

BioPtr memory_bio(const void* data, std::size_t size) {
  BioPtr bio(BIO_new_mem_buf(data, static_cast<int>(size)));
  if (!bio) fail("crypto.bio", "cannot create a memory BIO");
  return bio;
}

}  // namespace

// A station never prompts on a terminal: an encrypted key without a configured password fails.
static int no_password(char*, int, int, void*) { return 0; }

std::string last_openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error recorded";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Digest::Digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) fail("crypto.digest", "cannot allocate a digest context");
  check(EVP_DigestInit_ex(ctx_.get(), md, nullptr), "crypto.digest", "digest init failed");
}

Digest& Digest::update(ByteView data) {
  check(EVP_DigestUpdate(ctx_.get(), data.data(), data.size()), "crypto.digest", "digest update failed");
  return *this;
}

Bytes Digest::finish() {
  Bytes out(static_cast<std::size_t>(EVP_MD_CTX_get_size(ctx_.get())));
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(ctx_.get(), out.data(), &length), "crypto.digest", "digest final failed");
  out.resize(length);
  return out;
}

Sha256Digest sha256(ByteView data) {
  Sha256Digest out{};
  const Bytes digest = Digest(EVP_sha256()).update(data).finish();
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

Md5Digest md5(ByteView data) {
  Md5Digest out{};
  const Bytes digest = Digest(EVP_md5()).update(data).finish();
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

AesEcb::AesEcb(ByteView key, Direction direction) : ctx_(EVP_CIPHER_CTX_new()) {
  if (!ctx_) fail("crypto.aes", "cannot allocate a cipher context");
  const EVP_CIPHER* cipher = nullptr;
  switch (key.size()) {
    case 16: cipher = EVP_aes_128_ecb(); break;
    case 24: cipher = EVP_aes_192_ecb(); break;
    case 32: cipher = EVP_aes_256_ecb(); break;
    default:
      throw CryptoError("crypto.aes_key_size", "AES key must be 16, 24 or 32 bytes, got " + std::to_string(key.size()),
                        "pass a key of a valid AES size");
  }
  check(EVP_CipherInit_ex(ctx_.get(), cipher, nullptr, key.data(), nullptr, direction == Direction::Encrypt ? 1 : 0),
        "crypto.aes", "AES init failed");
  check(EVP_CIPHER_CTX_set_padding(ctx_.get(), 0), "crypto.aes", "AES padding off failed");
}

void AesEcb::process(ByteView in, std::span<std::uint8_t> out) {
  if (in.size() % 16 != 0 || out.size() < in.size()) {
    throw InternalError("crypto.aes_block", "AES-ECB input must be whole 16-byte blocks and fit the output");
  }
  int written = 0;
  check(EVP_CipherUpdate(ctx_.get(), out.data(), &written, in.data(), static_cast<int>(in.size())), "crypto.aes",
        "AES update failed");
}

EvpPkeyPtr load_private_key_pem(const SecretBytes& pem) {
  auto bio = memory_bio(pem.data(), pem.size());
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key) {
    throw CryptoError(
        "crypto.bad_private_key", "not a PEM private key: " + last_openssl_error(),
        "give an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----); espfab never prompts for a password");
  }
  return key;
}

EvpPkeyPtr load_public_key_pem(std::string_view pem) {
  auto bio = memory_bio(pem.data(), pem.size());
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    throw CryptoError("crypto.bad_public_key", "not a PEM public key: " + last_openssl_error(),
                      "give a PEM file with -----BEGIN PUBLIC KEY-----");
  }
  return key;
}

EvpPkeyPtr generate_ec_p256() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("crypto.keygen", "P-256 key generation failed");
  return key;
}

EvpPkeyPtr generate_rsa(unsigned bits) {
  EvpPkeyPtr key(EVP_RSA_gen(bits));
  if (!key) fail("crypto.keygen", "RSA key generation failed");
  return key;
}

std::string public_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("crypto.bio", "cannot create a memory BIO");
  check(PEM_write_bio_PUBKEY(bio.get(), key), "crypto.pem", "cannot write public key PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

namespace {

// Writes a private key as PEM into secure memory and returns it as a secret; `write` is one of
// OpenSSL's PEM writers.
template <typename Writer>
SecretBytes secret_pem(EVP_PKEY* key, Writer write, const char* what) {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) bio.reset(BIO_new(BIO_s_mem()));
  if (!bio) fail("crypto.bio", "cannot create a memory BIO");
  check(write(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "crypto.pem", what);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  SecretBytes out(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size)));
  secure_wipe(data, static_cast<std::size_t>(size));
  return out;
}

}  // namespace

SecretBytes private_key_pem(EVP_PKEY* key) {
  return secret_pem(key, PEM_write_bio_PKCS8PrivateKey, "cannot write private key PEM");
}

SecretBytes private_key_pem_traditional(EVP_PKEY* key) {
  return secret_pem(key, PEM_write_bio_PrivateKey_traditional, "cannot write traditional private key PEM");
}

SecretBytes random_secret(std::size_t size) {
  SecretBytes out(size);
  check(RAND_priv_bytes(out.data(), static_cast<int>(size)), "crypto.random", "random generator failed");
  return out;
}

}  // namespace espfab::crypto
