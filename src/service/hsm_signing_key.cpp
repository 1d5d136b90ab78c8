#include "service/hsm_signing_key.hpp"

#include <openssl/rsa.h>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "pki/device_key.hpp"
#include "util/error.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::service {

namespace {

using PkeyCtxPtr = OpenSslHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;

constexpr int kSaltLength = 32;

std::string mechanism_hint(const pki::Pkcs11Key& key) {
  return fmt::format(
      "the token must let key {} sign (CKA_SIGN) with raw RSA, CKM_RSA_X_509: OpenSSL encodes RSA-PSS on the host "
      "and the token does the RSA private operation; check with 'pkcs11-tool --module {} --list-mechanisms'",
      key.key_text(), key.config().module.string());
}

// An RSA-PSS signature by the token's key over `digest`; empty with the reason in `error` when the
// token (or OpenSSL on its behalf) fails.
Bytes try_sign(EVP_PKEY* key, const crypto::Sha256Digest& digest, std::string& error) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
  std::size_t size = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), kSaltLength) <= 0 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &size, digest.data(), digest.size()) <= 0) {
    error = crypto::last_openssl_error();
    return {};
  }
  Bytes signature(size);
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &size, digest.data(), digest.size()) <= 0) {
    error = crypto::last_openssl_error();
    return {};
  }
  signature.resize(size);
  // OpenSSL's RSA method contract allows a shorter result (leading zero bytes dropped).
  if (signature.size() < security::kSbv2RsaBytes) {
    signature.insert(signature.begin(), security::kSbv2RsaBytes - signature.size(), 0);
  }
  if (signature.size() != security::kSbv2RsaBytes) {
    error = fmt::format("the token returned {} bytes, not {}", signature.size(), security::kSbv2RsaBytes);
    return {};
  }
  return signature;
}

void check_rsa3072(const pki::Pkcs11Key& key) {
  EVP_PKEY* pkey = key.key();
  if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
      EVP_PKEY_get_bits(pkey) == static_cast<int>(security::kSbv2RsaBits)) {
    return;
  }
  const pki::Pkcs11KeyConfig& config = key.config();
  const pki::Pkcs11Settings& settings = key.settings();
  throw BadInputError(
      "security.sbv2_key_type",
      fmt::format("key {} on PKCS#11 token '{}' is {}; Secure Boot V2 on ESP32-S3 needs an RSA-3072 key",
                  key.key_text(), config.token_label, pki::describe_key(pkey)),
      fmt::format("point {}/{} at an RSA-3072 key, or generate one inside the token: pkcs11-tool --module {} "
                  "--token-label {} --login --keypairgen --key-type rsa:3072 --label sbv2-key --id 01",
                  settings.key_label, settings.key_id, config.module.string(), config.token_label));
}

}  // namespace

pki::Pkcs11Settings hsm_signing_key_cli_settings() {
  pki::Pkcs11Settings settings;
  settings.module = "--pkcs11-module";
  settings.token = "--token";
  settings.key_label = "--key-label";
  settings.key_id = "--key-id";
  settings.pin_env = "--pin-env";
  settings.pin_file = "--pin-file";
  settings.key_role = "Secure Boot signing key";
  settings.key_type = "rsa:3072";
  settings.docs = "docs/security.md, \"Signing with an HSM key\"";
  return settings;
}

HsmSigningKey::HsmSigningKey(std::unique_ptr<pki::Pkcs11Key> key, security::Sbv2RsaPublicKey public_key)
    : key_(std::move(key)), public_key_(std::move(public_key)), verify_key_(public_key_.to_evp()) {}

std::unique_ptr<HsmSigningKey> HsmSigningKey::open(const pki::Pkcs11KeyConfig& config,
                                                   const pki::Pkcs11Settings& settings) {
  std::unique_ptr<pki::Pkcs11Key> key = pki::Pkcs11Key::open(config, settings);
  check_rsa3072(*key);
  security::Sbv2RsaPublicKey public_key = security::sbv2_public_key(key->key());
  std::unique_ptr<HsmSigningKey> signing_key(new HsmSigningKey(std::move(key), std::move(public_key)));

  // Proves that the token signs with the private half of the public key it reports, and that the
  // mechanism works, before any image is touched.
  const SecretBytes challenge = crypto::random_secret(32);
  crypto::Sha256Digest digest{};
  std::copy(challenge.view().begin(), challenge.view().end(), digest.begin());
  const Bytes signature = signing_key->sign_in_token(digest);
  if (!security::rsa_pss_verify(signing_key->verify_key_.get(), digest, signature)) {
    throw CryptoError(
        "security.sbv2_hsm_self_test",
        fmt::format("a test signature by {} does not verify with the key's public key", signing_key->key_->describe()),
        "the token's private and public key objects do not match, or the token computes wrong "
        "signatures; generate a new key pair in the token");
  }
  return signing_key;
}

Bytes HsmSigningKey::sign_in_token(const crypto::Sha256Digest& digest) const {
  std::string error;
  Bytes signature = try_sign(key_->key(), digest, error);
  if (signature.empty()) {
    throw CryptoError("security.sbv2_hsm_sign",
                      fmt::format("RSA-PSS signing with {} failed: {}", key_->describe(), error),
                      mechanism_hint(*key_));
  }
  return signature;
}

Bytes HsmSigningKey::sign_digest(const crypto::Sha256Digest& digest) const {
  Bytes signature = sign_in_token(digest);
  // A wrong signature (a token fault) is never handed out: checked like the ROM will check it.
  if (!security::rsa_pss_verify(verify_key_.get(), digest, signature)) {
    throw CryptoError("security.sbv2_hsm_bad_signature",
                      fmt::format("the signature {} made does not verify with its public key", key_->describe()),
                      "the token computed a wrong signature; retry, and replace the token if it happens again");
  }
  return signature;
}

std::string HsmSigningKey::describe() const { return key_->describe(); }

}  // namespace espfab::service
