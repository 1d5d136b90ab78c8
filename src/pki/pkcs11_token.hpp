// A private key in a PKCS#11 token (an HSM; SoftHSM in tests), opened with libp11: load the
// vendor's module, find the token by label, log in with the user PIN (from an environment variable
// or a 0600 file, wiped from espfab's memory right after), find the private key by label and/or
// CKA_ID. The key is an EVP_PKEY whose private operations libp11 sends to the token; the key
// material never leaves it. Used by the PKCS#11 CA (pkcs11_ca.hpp) and the Secure Boot V2 HSM
// signing key (service/hsm_signing_key.hpp). docs/identity.md, "PKCS#11 HSM CA".
//
// One module is used by one Pkcs11Key at a time per process: PKCS#11 login state is per process,
// and unloading a module ends every session of it, so a second open() of the same module while
// the first is alive is refused (pki.hsm_module_busy).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "util/crypto.hpp"

namespace espfab::pki {

// Which key in which token, and where its user PIN comes from (never the PIN itself).
struct Pkcs11KeyConfig {
  std::filesystem::path module = "/usr/lib/softhsm/libsofthsm2.so";  // the token vendor's PKCS#11 library
  std::string token_label{};                                         // the token's label (CKA_LABEL of the token)
  std::string key_label{};           // the private key's CKA_LABEL; empty: match by key_id alone
  std::string key_id{};              // the private key's CKA_ID in hex ("01"); empty: match by key_label alone
  std::string pin_env{};             // name of the environment variable holding the user PIN ...
  std::filesystem::path pin_file{};  // ... or a file holding it (one line, mode 0600 or stricter)
};

// What errors call each setting and the key, so that a hint names what the operator types: a
// station profile's [ca] keys (the default) or the CLI's options.
struct Pkcs11Settings {
  std::string module = "[ca] module";
  std::string token = "[ca] token";
  std::string key_label = "[ca] key_label";
  std::string key_id = "[ca] key_id";
  std::string pin_env = "[ca] pin_env";
  std::string pin_file = "[ca] pin_file";
  std::string key_role = "CA key";         // "no CA key is configured"
  std::string key_type = "EC:prime256v1";  // the pkcs11-tool --key-type a hint suggests
  std::string docs = "docs/identity.md, \"PKCS#11 HSM CA\"";
};

// Checks what can be checked before the token is touched (every login try counts): a token label,
// a key label or id, exactly one PIN source. Throws BadInputError pki.hsm_config.
void check_key_config(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings = {});

class Pkcs11Key {
 public:
  // Checks the configuration (check_key_config), loads the module, finds the token, logs in and
  // finds the private key. Throws BadInputError naming the problem with a hint (pki.hsm_config, pki.hsm_module,
  // pki.hsm_token_not_found, pki.hsm_token_ambiguous, pki.hsm_pin_incorrect, pki.hsm_pin_locked, pki.hsm_pin_not_set,
  // pki.hsm_pin_expired, pki.hsm_no_pin, pki.hsm_key_not_found, pki.hsm_key_ambiguous),
  // PolicyRefusalError for a PIN file others can read (pki.hsm_pin_file_mode) or a module already
  // in use (pki.hsm_module_busy), CryptoError when the token fails. The key's type is not checked:
  // that is the caller's business.
  static std::unique_ptr<Pkcs11Key> open(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings = {});

  ~Pkcs11Key();
  Pkcs11Key(const Pkcs11Key&) = delete;
  Pkcs11Key& operator=(const Pkcs11Key&) = delete;
  Pkcs11Key(Pkcs11Key&&) = delete;
  Pkcs11Key& operator=(Pkcs11Key&&) = delete;

  // The private key; sign/decrypt operations run in the token. Valid while this object lives.
  EVP_PKEY* key() const noexcept;
  // "'ca-key' id 01": the key's CKA_LABEL and CKA_ID.
  const std::string& key_text() const noexcept;
  // "key 'ca-key' id 01 (EC P-256) on PKCS#11 token 'espfab-ca', module /usr/lib/...": never the
  // PIN nor where it comes from.
  std::string describe() const;
  const Pkcs11KeyConfig& config() const noexcept;
  const Pkcs11Settings& settings() const noexcept;

 private:
  class Session;  // the loaded module, the logged-in slot and the key (libp11)
  explicit Pkcs11Key(std::unique_ptr<Session> session);

  std::unique_ptr<Session> session_;
};

}  // namespace espfab::pki
