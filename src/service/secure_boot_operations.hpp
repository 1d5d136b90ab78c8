// The Secure Boot V2 (RSA-3072) files of `espfab secure-boot digest|sign|verify|info`, one service
// each: the public key digest for a SECURE_BOOT_DIGESTn key block, signing an image with PEM keys or
// one key in a PKCS#11 token (service/hsm_signing_key.hpp), checking a signed image against a
// public key, and listing its signature blocks. Outputs are written atomically; docs/security.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pki/pkcs11_token.hpp"
#include "security/secure_boot_v2.hpp"

namespace espfab::service {

// Called once an HSM key is open and passed its self-test, before anything else is read: its
// description (service::HsmSigningKey::describe, never the PIN).
using HsmKeyOpened = std::function<void(const std::string& description)>;

struct SecureBootDigestRequest {
  std::filesystem::path key_file{};           // RSA-3072 PEM, private or public ...
  std::optional<pki::Pkcs11KeyConfig> hsm{};  // ... or the key in a token (then key_file is empty)
  std::filesystem::path output{};             // the 32-byte digest
  HsmKeyOpened hsm_key_opened{};
};

// Writes the SHA-256 of the key's public part (what the eFuse key block holds) and returns it.
security::KeyDigest write_public_key_digest(const SecureBootDigestRequest& request);

// Generates an RSA-3072 Secure Boot V2 signing key and writes it as an unencrypted PKCS#8 PEM, mode
// 0600, refusing to replace an existing file (IoError "io.exists"). Returns the digest of its public
// key (what `efuse burn-key-digest` burns). Like `espsecure.py generate_signing_key --version 2
// --scheme rsa3072`; for production keep the key in an HSM (docs/security.md).
security::KeyDigest generate_signing_key_file(const std::filesystem::path& output);

struct SecureBootSignature {
  std::size_t keys = 0;              // signing keys used
  std::size_t data_size = 0;         // bytes covered by the signatures (a multiple of 4096)
  std::size_t total_blocks = 0;      // signature blocks in the sector now
  std::vector<std::string> notes{};  // what espsecure prints ("Padding data contents by ...")
};

struct SecureBootSignRequest {
  std::vector<std::filesystem::path> key_files{};  // RSA-3072 private key PEMs, up to 3 ...
  std::optional<pki::Pkcs11KeyConfig> hsm{};       // ... or one key in a token
  bool append = false;                             // keep the valid blocks already in the input
  std::filesystem::path input{};
  std::filesystem::path output{};  // data + signature sector
  HsmKeyOpened hsm_key_opened{};
  // The image is signed and the output not yet written.
  std::function<void(const SecureBootSignature&)> signed_image{};
};

// Throws the signer's BadInputErrors (with the input as context) before anything is written.
SecureBootSignature sign_image_file(const SecureBootSignRequest& request);

struct SecureBootVerification {
  security::VerifyResult result{};
  security::KeyDigest key_digest{};  // of the key checked against
};

// Checks a signed image with a public (or private) key PEM; not verifying is a result, a file that
// is not a signed image throws BadInputError (with the input as context).
SecureBootVerification verify_image_file(const std::filesystem::path& key_file, const std::filesystem::path& input);

// The valid signature blocks of a signed image, from slot 0 up to the first invalid one.
std::vector<security::SignatureInfo> read_signature_info(const std::filesystem::path& input);

}  // namespace espfab::service
