#include "service/secure_boot_operations.hpp"

#include <memory>

#include "service/hsm_signing_key.hpp"
#include "util/crypto.hpp"
#include "util/file_io.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::service {
namespace {

// The signing key in a token instead of a PEM file (docs/security.md, "Signing with an HSM key").
std::unique_ptr<HsmSigningKey> open_hsm_key(const pki::Pkcs11KeyConfig& config, const HsmKeyOpened& opened) {
  auto key = HsmSigningKey::open(config);
  if (opened) opened(key->describe());
  return key;
}

}  // namespace

security::KeyDigest write_public_key_digest(const SecureBootDigestRequest& request) {
  security::KeyDigest digest{};
  if (request.hsm) {
    digest = open_hsm_key(*request.hsm, request.hsm_key_opened)->public_key().digest();
  } else {
    const auto key = security::load_sbv2_key_file(request.key_file, false);
    digest = security::sbv2_public_key(key.get()).digest();
  }
  write_file_atomic(request.output, digest);
  return digest;
}

security::KeyDigest generate_signing_key_file(const std::filesystem::path& output) {
  const auto key = crypto::generate_rsa(security::kSbv2RsaBits);
  const SecretBytes pem = crypto::private_key_pem(key.get());
  write_new_file_atomic(output, pem.view(), 0600);
  return security::sbv2_public_key(key.get()).digest();
}

SecureBootSignature sign_image_file(const SecureBootSignRequest& request) {
  std::vector<std::unique_ptr<security::SigningKey>> owned;
  std::vector<const security::SigningKey*> keys;
  if (request.hsm) owned.push_back(open_hsm_key(*request.hsm, request.hsm_key_opened));
  for (const auto& path : request.key_files) owned.push_back(security::PemSigningKey::from_file(path));
  keys.reserve(owned.size());
  for (const auto& key : owned) keys.push_back(key.get());
  const Bytes input = read_file(request.input);
  security::SignResult result;
  try {
    result = security::sign_image(input, keys, {.append = request.append});
  } catch (Error& error) {
    error.with_context("signing " + request.input.string());
    throw;
  }
  SecureBootSignature signature{.keys = keys.size(),
                                .data_size = result.data_size,
                                .total_blocks = result.total_blocks,
                                .notes = std::move(result.notes)};
  if (request.signed_image) request.signed_image(signature);
  write_file_atomic(request.output, result.image);
  return signature;
}

SecureBootVerification verify_image_file(const std::filesystem::path& key_file, const std::filesystem::path& input) {
  const auto key = security::load_sbv2_key_file(key_file, false);
  SecureBootVerification verification;
  const auto public_key = security::sbv2_public_key(key.get());
  verification.key_digest = public_key.digest();
  const Bytes image = read_file(input);
  try {
    verification.result = security::verify_with_key(image, public_key);
  } catch (Error& error) {
    error.with_context("verifying " + input.string());
    throw;
  }
  return verification;
}

std::vector<security::SignatureInfo> read_signature_info(const std::filesystem::path& input) {
  const Bytes image = read_file(input);
  try {
    return security::signature_info(image);
  } catch (Error& error) {
    error.with_context("reading the signature sector of " + input.string());
    throw;
  }
}

}  // namespace espfab::service
