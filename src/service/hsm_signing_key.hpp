// A Secure Boot V2 signing key (RSA-3072) kept in a PKCS#11 token: the same SigningKey interface as
// a PEM file (security/sbv2_key.hpp), the same token access as the PKCS#11 CA (pki/pkcs11_token.hpp).
//
// Mechanism: libp11's EVP_PKEY is a legacy OpenSSL key with libp11's RSA method, so OpenSSL 3 signs
// it on its legacy path: OpenSSL does the EMSA-PSS encoding (SHA-256, MGF1-SHA-256, 32-byte salt
// from OpenSSL's RNG) on the host and the token does the raw RSA private operation on the encoded
// block, CKM_RSA_X_509 with the key's CKA_SIGN. The private key never leaves the token; the token
// must allow CKM_RSA_X_509 for it. Every signature is checked with the public key before it is
// returned. docs/security.md, "Signing with an HSM key".
#pragma once

#include <memory>
#include <string>

#include "pki/pkcs11_token.hpp"
#include "security/sbv2_key.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"

namespace espfab::service {

// Hints name the CLI's options (--pkcs11-module, --token, --key-label, --key-id, --pin-env,
// --pin-file) and suggest an RSA-3072 key.
pki::Pkcs11Settings hsm_signing_key_cli_settings();

class HsmSigningKey final : public security::SigningKey {
 public:
  // Opens the key (pki::Pkcs11Key::open and its errors), refuses a key that is not RSA-3072
  // (BadInputError security.sbv2_key_type naming the key and the fix) and signs a random digest
  // in the token that must verify with the key's public key (CryptoError security.sbv2_hsm_sign
  // when the token cannot sign, security.sbv2_hsm_self_test when the signature is wrong).
  static std::unique_ptr<HsmSigningKey> open(const pki::Pkcs11KeyConfig& config,
                                             const pki::Pkcs11Settings& settings = hsm_signing_key_cli_settings());

  const security::Sbv2RsaPublicKey& public_key() const override { return public_key_; }
  // RSA-PSS in the token (see above); thread-safe. Throws CryptoError security.sbv2_hsm_sign when
  // the token fails, security.sbv2_hsm_bad_signature when its signature does not verify.
  Bytes sign_digest(const crypto::Sha256Digest& digest) const override;

  // "key 'sbv2-key' id 01 (RSA 3072) on PKCS#11 token 'espfab-ca', module ..."; never the PIN.
  std::string describe() const;

 private:
  HsmSigningKey(std::unique_ptr<pki::Pkcs11Key> key, security::Sbv2RsaPublicKey public_key);
  Bytes sign_in_token(const crypto::Sha256Digest& digest) const;

  std::unique_ptr<pki::Pkcs11Key> key_;  // owns the module, the login and the EVP_PKEY
  security::Sbv2RsaPublicKey public_key_;
  crypto::EvpPkeyPtr verify_key_;  // public_key_ as an OpenSSL key, to check each signature
};

}  // namespace espfab::service
