// The company CA with its private key in a PKCS#11 token (an HSM; SoftHSM in tests). The key never
// leaves the token: espfab opens it with Pkcs11Key (pkcs11_token.hpp: libp11, the user PIN) and has
// the token sign each certificate (ECDSA P-256 or RSA keys, SHA-256). The CA certificate
// is a public PEM file; serial numbers and index.txt live in a state directory, as for the local
// CA (certificate_builder.hpp). docs/identity.md, "PKCS#11 HSM CA".
//
// One module is used by one Pkcs11Ca (or other Pkcs11Key) at a time per process: PKCS#11 login
// state is per process, and unloading a module ends every session of it, so a second open() of the
// same module while the first is alive is refused.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "pki/ca_backend.hpp"
#include "pki/certificate_builder.hpp"
#include "pki/pkcs11_token.hpp"

namespace espfab::pki {

// Profile keys ([ca] backend = "pkcs11"): module, token, key_label, key_id, pin_env, pin_file (the
// key in the token, pkcs11_token.hpp), certificate, state_dir.
struct Pkcs11CaConfig : Pkcs11KeyConfig {
  std::filesystem::path certificate{};  // the CA certificate, PEM (public)
  std::filesystem::path state_dir{};    // serial, index.txt, lock
};

class Pkcs11Key;  // pkcs11_token.hpp

class Pkcs11Ca final : public CaBackend {
 public:
  // Checks the configuration and the state directory, loads the module, finds the token, logs in
  // (the PIN is wiped from espfab's memory right after), finds the key and proves with a test
  // signature that it belongs to the certificate. Throws BadInputError naming the problem with a
  // hint (pki.hsm_module, pki.hsm_token_not_found, pki.hsm_pin_incorrect, pki.hsm_pin_locked,
  // pki.hsm_no_pin, pki.hsm_key_not_found, pki.hsm_key_mismatch, pki.ca_state_missing, ...),
  // PolicyRefusalError for a PIN file others can read (pki.hsm_pin_file_mode) or a module already
  // in use (pki.hsm_module_busy), CryptoError when the token fails.
  static Pkcs11Ca open(const Pkcs11CaConfig& config);

  ~Pkcs11Ca() override;
  Pkcs11Ca(Pkcs11Ca&& other) noexcept;
  Pkcs11Ca& operator=(Pkcs11Ca&& other) noexcept;
  Pkcs11Ca(const Pkcs11Ca&) = delete;
  Pkcs11Ca& operator=(const Pkcs11Ca&) = delete;

  // Thread-safe: issuance is serialised by the state directory's lock.
  IssuedCertificate sign(X509_REQ* csr, const IssueProfile& profile) override;
  std::string ca_certificate_pem() const override { return certificate_pem_; }
  // "PKCS#11 CA CN=... (token 'espfab-ca', key 'ca-key' id 01, EC P-256, module ...)"; never the PIN.
  std::string describe() const override;
  std::optional<std::vector<IndexEntry>> issued_index() const override;

  const Pkcs11CaConfig& config() const noexcept { return config_; }
  // Lines of index.txt, for audits and tests.
  std::size_t issued_count() const;

 private:
  Pkcs11Ca(Pkcs11CaConfig config, std::unique_ptr<Pkcs11Key> key, std::string certificate_pem);

  Pkcs11CaConfig config_;
  std::unique_ptr<Pkcs11Key> key_;
  std::string certificate_pem_;
  X509Ptr certificate_;
};

// Creates the CA certificate of the token's key (the setup step of `espfab ca init --pkcs11`):
// self-signed inside the token as build_ca_certificate() describes, written to
// config.certificate, and a fresh state directory (serial 1, empty index.txt) in config.state_dir.
// Refuses (PolicyRefusalError pki.ca_exists) when the certificate file or the state already
// exists. Token errors as for Pkcs11Ca::open. Returns the certificate PEM.
std::string self_sign_ca_certificate(const Pkcs11CaConfig& config, const CaCertificateSpec& subject);

}  // namespace espfab::pki
