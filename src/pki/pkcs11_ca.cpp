#include "pki/pkcs11_ca.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <utility>

#include "pki/device_key.hpp"
#include "pki/pkcs11_token.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::pki {

namespace {

// Checks what can be checked before the token is touched (every login try counts).
void check_config(const Pkcs11CaConfig& config) {
  check_key_config(config);
  const std::string hint = "see docs/identity.md, \"PKCS#11 HSM CA\"";
  if (config.state_dir.empty()) {
    throw BadInputError("pki.hsm_config", "no CA state directory is configured ([ca] state_dir)", hint);
  }
  if (config.certificate.empty()) {
    throw BadInputError("pki.hsm_config", "no CA certificate file is configured ([ca] certificate)", hint);
  }
}

// The token's key, checked to be one a CA can sign with.
std::unique_ptr<Pkcs11Key> open_ca_key(const Pkcs11CaConfig& config) {
  std::unique_ptr<Pkcs11Key> key = Pkcs11Key::open(config);
  const int type = EVP_PKEY_get_base_id(key->key());
  if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) {
    throw BadInputError("pki.hsm_key_type",
                        fmt::format("key {} on PKCS#11 token '{}' is {}, not EC or RSA", key->key_text(),
                                    config.token_label, describe_key(key->key())),
                        "use an EC P-256 or RSA key for the CA");
  }
  return key;
}

// Proves that `key` is the private key of `certificate` by signing a random challenge in the token
// and verifying it with the certificate's public key.
void prove_key_matches(EVP_PKEY* key, X509* certificate, const std::string& key_text, const Pkcs11CaConfig& config) {
  const SecretBytes challenge = crypto::random_secret(32);
  crypto::EvpMdCtxPtr sign_ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!sign_ctx || EVP_DigestSignInit(sign_ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(sign_ctx.get(), nullptr, &size, challenge.data(), challenge.size()) != 1) {
    throw CryptoError("pki.hsm_sign",
                      fmt::format("the token cannot sign with key {}: {}", key_text, crypto::last_openssl_error()),
                      "the key must be a private key allowed to sign (CKA_SIGN)");
  }
  Bytes signature(size);
  if (EVP_DigestSign(sign_ctx.get(), signature.data(), &size, challenge.data(), challenge.size()) != 1) {
    throw CryptoError("pki.hsm_sign",
                      fmt::format("the token refused to sign with key {}: {}", key_text, crypto::last_openssl_error()),
                      "the key must be a private key allowed to sign (CKA_SIGN)");
  }
  signature.resize(size);
  crypto::EvpMdCtxPtr verify_ctx(EVP_MD_CTX_new());
  EVP_PKEY* public_key = X509_get0_pubkey(certificate);
  const bool matches =
      verify_ctx && public_key != nullptr &&
      EVP_DigestVerifyInit(verify_ctx.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
      EVP_DigestVerify(verify_ctx.get(), signature.data(), signature.size(), challenge.data(), challenge.size()) == 1;
  crypto::last_openssl_error();
  if (!matches) {
    throw BadInputError(
        "pki.hsm_key_mismatch",
        fmt::format("the key {} on PKCS#11 token '{}' ({}) does not belong to the CA certificate '{}' ({}, {})",
                    key_text, config.token_label, describe_key(key), config.certificate.string(),
                    name_to_string(X509_get_subject_name(certificate)),
                    public_key != nullptr ? describe_key(public_key) : "no public key"),
        "point [ca] certificate at the certificate made for this key, or [ca] key_label/key_id at the key of "
        "this certificate");
  }
}

}  // namespace

Pkcs11Ca::Pkcs11Ca(Pkcs11CaConfig config, std::unique_ptr<Pkcs11Key> key, std::string certificate_pem)
    : config_(std::move(config)),
      key_(std::move(key)),
      certificate_pem_(std::move(certificate_pem)),
      certificate_(certificate_from_pem(certificate_pem_, "CA certificate")) {}

Pkcs11Ca::~Pkcs11Ca() = default;
Pkcs11Ca::Pkcs11Ca(Pkcs11Ca&& other) noexcept = default;
Pkcs11Ca& Pkcs11Ca::operator=(Pkcs11Ca&& other) noexcept = default;

Pkcs11Ca Pkcs11Ca::open(const Pkcs11CaConfig& config) {
  check_config(config);
  if (!std::filesystem::is_regular_file(config.certificate)) {
    throw BadInputError("pki.ca_missing",
                        fmt::format("the CA certificate '{}' does not exist", config.certificate.string()),
                        "create it for the token's key with 'espfab ca init --pkcs11' (docs/identity.md) or fix "
                        "[ca] certificate");
  }
  if (!has_issuance_state(config.state_dir)) {
    throw BadInputError(
        "pki.ca_state_missing",
        fmt::format("the CA state directory '{}' has no serial file", config.state_dir.string()),
        fmt::format("restore it from a backup, or for a new CA: mkdir -p '{0}' && echo 1 > '{0}/serial' && "
                    ": > '{0}/index.txt'",
                    config.state_dir.string()));
  }
  std::string pem = read_text_file(config.certificate);
  const X509Ptr certificate = certificate_from_pem(pem, "CA certificate");
  if (X509_check_ca(certificate.get()) < 1) {
    throw BadInputError("pki.ca_not_ca",
                        fmt::format("'{}' ({}) is not a CA certificate", config.certificate.string(),
                                    name_to_string(X509_get_subject_name(certificate.get()))),
                        "a CA certificate has basicConstraints CA:TRUE and keyUsage keyCertSign");
  }
  std::unique_ptr<Pkcs11Key> key = open_ca_key(config);
  prove_key_matches(key->key(), certificate.get(), key->key_text(), config);
  return Pkcs11Ca(config, std::move(key), std::move(pem));
}

IssuedCertificate Pkcs11Ca::sign(X509_REQ* csr, const IssueProfile& profile) {
  try {
    return issue_certificate(
        csr, profile, {.certificate = certificate_.get(), .certificate_pem = certificate_pem_, .key = key_->key()},
        config_.state_dir);
  } catch (Error& e) {
    e.with_context(fmt::format("issuing with key {} on PKCS#11 token '{}'", key_->key_text(), config_.token_label));
    throw;
  }
}

std::string Pkcs11Ca::describe() const {
  return fmt::format("PKCS#11 CA {} (token '{}', key {}, {}, module {})",
                     name_to_string(X509_get_subject_name(certificate_.get())), config_.token_label, key_->key_text(),
                     describe_key(key_->key()), config_.module.string());
}

std::size_t Pkcs11Ca::issued_count() const { return pki::issued_count(config_.state_dir); }

std::optional<std::vector<IndexEntry>> Pkcs11Ca::issued_index() const { return read_index(config_.state_dir); }

std::string self_sign_ca_certificate(const Pkcs11CaConfig& config, const CaCertificateSpec& subject) {
  check_config(config);
  if (std::filesystem::exists(config.certificate) || has_issuance_state(config.state_dir)) {
    throw PolicyRefusalError("pki.ca_exists",
                             fmt::format("the CA certificate '{}' or the state in '{}' already exists",
                                         config.certificate.string(), config.state_dir.string()),
                             "a CA is never overwritten; choose new paths");
  }
  const std::unique_ptr<Pkcs11Key> key = open_ca_key(config);
  X509Ptr certificate;
  try {
    certificate = build_ca_certificate(key->key(), subject);
  } catch (Error& e) {
    e.with_context(fmt::format("self-signing with key {} on PKCS#11 token '{}'", key->key_text(), config.token_label));
    throw;
  }
  const std::string pem = certificate_to_pem(certificate.get());
  std::error_code ec;
  if (config.certificate.has_parent_path()) std::filesystem::create_directories(config.certificate.parent_path(), ec);
  write_text_file_atomic(config.certificate, pem);
  init_issuance_state(config.state_dir);
  return pem;
}

}  // namespace espfab::pki
