#include "pki/pkcs11_ca.hpp"

#include <libp11.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "pki/device_key.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::pki {

namespace {

// PKCS#11 return values libp11 leaves in OpenSSL's error queue (reason of the CKR library).
constexpr int kCkrPinIncorrect = 0xA0;
constexpr int kCkrPinInvalid = 0xA1;
constexpr int kCkrPinLenRange = 0xA2;
constexpr int kCkrPinExpired = 0xA3;
constexpr int kCkrPinLocked = 0xA4;

std::string module_hint(const Pkcs11CaConfig& config) {
  return fmt::format(
      "set [ca] module to the token vendor's PKCS#11 library (SoftHSM: apt-get install softhsm2, "
      "/usr/lib/softhsm/libsofthsm2.so, with SOFTHSM2_CONF naming its config); now '{}'",
      config.module.string());
}

std::string pin_source(const Pkcs11CaConfig& config) {
  if (!config.pin_env.empty()) return fmt::format("the environment variable {}", config.pin_env);
  return fmt::format("the file '{}'", config.pin_file.string());
}

std::string hex_id(const unsigned char* id, std::size_t size) {
  return id == nullptr || size == 0 ? std::string("(none)") : to_hex(ByteView(id, size));
}

// "label 'ca-key' id 01", "label 'ca-key'", "id 01": what the configuration asks for.
std::string key_selector(const Pkcs11CaConfig& config) {
  std::string text;
  if (!config.key_label.empty()) text = fmt::format("label '{}'", config.key_label);
  if (!config.key_id.empty()) text += fmt::format("{}id {}", text.empty() ? "" : " ", config.key_id);
  return text;
}

std::string key_name(const PKCS11_KEY& key) {
  return fmt::format("'{}' id {}", key.label != nullptr ? key.label : "", hex_id(key.id, key.id_len));
}

// Checks what can be checked before the token is touched (every login try counts).
void check_config(const Pkcs11CaConfig& config) {
  const std::string hint = "see docs/identity.md, \"PKCS#11 HSM CA\"";
  if (config.token_label.empty()) {
    throw BadInputError("pki.hsm_config", "no PKCS#11 token label is configured ([ca] token)",
                        fmt::format("list the tokens with 'pkcs11-tool --module {} --list-token-slots'; {}",
                                    config.module.string(), hint));
  }
  if (config.key_label.empty() && config.key_id.empty()) {
    throw BadInputError("pki.hsm_config", "no CA key is configured ([ca] key_label or key_id)",
                        fmt::format("list the keys with 'pkcs11-tool --module {} --token-label {} --login "
                                    "--list-objects --type privkey'; {}",
                                    config.module.string(), config.token_label, hint));
  }
  if (config.pin_env.empty() == config.pin_file.empty()) {
    throw BadInputError("pki.hsm_config", "set exactly one of [ca] pin_env and pin_file for the token's user PIN",
                        hint);
  }
  if (config.state_dir.empty()) {
    throw BadInputError("pki.hsm_config", "no CA state directory is configured ([ca] state_dir)", hint);
  }
  if (config.certificate.empty()) {
    throw BadInputError("pki.hsm_config", "no CA certificate file is configured ([ca] certificate)", hint);
  }
}

// The PIN with a terminating NUL for libp11, from `text` without a trailing line break.
SecretBytes terminated_pin(ByteView text, const Pkcs11CaConfig& config) {
  std::size_t size = text.size();
  while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r')) --size;
  if (size == 0) {
    throw BadInputError("pki.hsm_no_pin", fmt::format("the user PIN from {} is empty", pin_source(config)),
                        "put the token's user PIN there");
  }
  SecretBytes pin(size + 1);
  for (std::size_t i = 0; i < size; ++i) {
    if (text[i] == 0 || text[i] == '\n') {
      throw BadInputError("pki.hsm_no_pin", fmt::format("the user PIN from {} is not one line", pin_source(config)),
                          "put only the token's user PIN there");
    }
    pin.data()[i] = text[i];
  }
  return pin;
}

SecretBytes read_pin(const Pkcs11CaConfig& config) {
  if (!config.pin_env.empty()) {
    const char* value = std::getenv(config.pin_env.c_str());
    if (value == nullptr || *value == '\0') {
      throw BadInputError(
          "pki.hsm_no_pin",
          fmt::format("the environment variable {} (the PKCS#11 token's user PIN) is not set", config.pin_env),
          fmt::format("export {} with the user PIN of token '{}' before starting espfab", config.pin_env,
                      config.token_label));
    }
    return terminated_pin(ByteView(reinterpret_cast<const std::uint8_t*>(value), std::strlen(value)), config);
  }
  struct stat info {};
  if (::stat(config.pin_file.c_str(), &info) != 0) {
    const int err = errno;
    throw BadInputError("pki.hsm_no_pin",
                        fmt::format("cannot read the PIN file '{}': {}", config.pin_file.string(), std::strerror(err)),
                        "create it with the token's user PIN on one line, mode 0600, or fix [ca] pin_file");
  }
  if ((info.st_mode & 077) != 0) {
    throw PolicyRefusalError(
        "pki.hsm_pin_file_mode",
        fmt::format("the PIN file '{}' can be read by others (mode {:04o})", config.pin_file.string(),
                    info.st_mode & 07777),
        fmt::format("chmod 600 '{}' (and change the PIN if others have read it)", config.pin_file.string()));
  }
  const SecretBytes content(read_file(config.pin_file));
  return terminated_pin(content.view(), config);
}

// The reason (a CKR_ value) of the newest PKCS#11 error in OpenSSL's queue, 0 when there is none.
int newest_pkcs11_reason() {
  const unsigned long error = ERR_peek_last_error();
  return error != 0 && ERR_GET_LIB(error) == ERR_get_CKR_code() ? ERR_GET_REASON(error) : 0;
}

// One Pkcs11Ca per module and process (see pkcs11_ca.hpp).
class ModuleClaim {
 public:
  // Keyed by the canonical path, so that links to one library count as one module.
  explicit ModuleClaim(const std::filesystem::path& module) : module_(canonical_name(module)) {
    const std::lock_guard lock(mutex());
    if (!claimed().insert(module_).second) {
      throw PolicyRefusalError(
          "pki.hsm_module_busy",
          fmt::format("the PKCS#11 module '{}' is already in use by a CA in this process", module.string()),
          "use the open CA (one Pkcs11Ca per module and process) or close it first");
    }
  }
  ~ModuleClaim() {
    const std::lock_guard lock(mutex());
    claimed().erase(module_);
  }
  ModuleClaim(const ModuleClaim&) = delete;
  ModuleClaim& operator=(const ModuleClaim&) = delete;

 private:
  static std::string canonical_name(const std::filesystem::path& module) {
    std::error_code ec;
    const std::filesystem::path canonical = std::filesystem::canonical(module, ec);
    return ec ? module.string() : canonical.string();
  }
  static std::mutex& mutex() {
    static std::mutex instance;
    return instance;
  }
  static std::set<std::string>& claimed() {
    static std::set<std::string> instance;
    return instance;
  }

  std::string module_;
};

// Checked before dlopen, which would print its own complaint about anything else.
bool is_elf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, sizeof magic) && std::memcmp(magic,
                                                     "\x7f"
                                                     "ELF",
                                                     sizeof magic) == 0;
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

namespace detail {

// The loaded module, the logged-in token and the CA's private key (an EVP_PKEY whose operations
// libp11 sends to the token).
class Pkcs11Token {
 public:
  static std::unique_ptr<Pkcs11Token> open(const Pkcs11CaConfig& config) {
    if (!std::filesystem::is_regular_file(config.module)) {
      throw BadInputError("pki.hsm_module",
                          fmt::format("the PKCS#11 module '{}' does not exist", config.module.string()),
                          module_hint(config));
    }
    if (!is_elf(config.module)) {
      throw BadInputError("pki.hsm_module",
                          fmt::format("the PKCS#11 module '{}' is not a shared library", config.module.string()),
                          module_hint(config));
    }
    std::unique_ptr<Pkcs11Token> token(new Pkcs11Token(config.module));
    token->load(config);
    PKCS11_SLOT* slot = token->find_slot(config);
    token->login(slot, config);
    token->find_key(slot, config);
    return token;
  }

  ~Pkcs11Token() {
    // Order matters: the key refers to the slot, the slots to the module (libp11 0.4.12 leaks or
    // crashes otherwise). Releasing the slots also wipes libp11's copy of the PIN.
    key_.reset();
    if (slots_ != nullptr) PKCS11_release_all_slots(ctx_, slots_, slot_count_);
    if (loaded_) PKCS11_CTX_unload(ctx_);
    if (ctx_ != nullptr) PKCS11_CTX_free(ctx_);
  }
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  EVP_PKEY* key() const noexcept { return key_.get(); }
  const std::string& key_text() const noexcept { return key_text_; }

 private:
  explicit Pkcs11Token(const std::filesystem::path& module) : claim_(module), ctx_(PKCS11_CTX_new()) {
    if (ctx_ == nullptr) throw CryptoError("pki.hsm", "cannot create a libp11 context", "out of memory?");
  }

  void load(const Pkcs11CaConfig& config) {
    if (PKCS11_CTX_load(ctx_, config.module.c_str()) != 0) {
      throw BadInputError(
          "pki.hsm_module",
          fmt::format("cannot load the PKCS#11 module '{}': {}", config.module.string(), crypto::last_openssl_error()),
          module_hint(config));
    }
    loaded_ = true;
    if (PKCS11_enumerate_slots(ctx_, &slots_, &slot_count_) != 0) {
      slots_ = nullptr;
      slot_count_ = 0;
      throw CryptoError(
          "pki.hsm",
          fmt::format("cannot list the slots of '{}': {}", config.module.string(), crypto::last_openssl_error()),
          module_hint(config));
    }
  }

  PKCS11_SLOT* find_slot(const Pkcs11CaConfig& config) {
    PKCS11_SLOT* found = nullptr;
    std::vector<std::string> labels;
    for (unsigned int i = 0; i < slot_count_; ++i) {
      const PKCS11_TOKEN* token = slots_[i].token;
      if (token == nullptr || !token->initialized || token->label == nullptr) continue;
      labels.push_back(fmt::format("'{}'", token->label));
      if (config.token_label != token->label) continue;
      if (found != nullptr) {
        throw BadInputError("pki.hsm_token_ambiguous",
                            fmt::format("more than one PKCS#11 token is labelled '{}'", config.token_label),
                            "give each token its own label");
      }
      found = &slots_[i];
    }
    if (found == nullptr) {
      throw BadInputError(
          "pki.hsm_token_not_found",
          fmt::format("no PKCS#11 token labelled '{}' in '{}' (tokens: {})", config.token_label, config.module.string(),
                      labels.empty() ? "none" : fmt::format("{}", fmt::join(labels, ", "))),
          fmt::format("plug in the HSM or fix [ca] token; 'pkcs11-tool --module {} --list-token-slots' lists them",
                      config.module.string()));
    }
    return found;
  }

  void login(PKCS11_SLOT* slot, const Pkcs11CaConfig& config) {
    const PKCS11_TOKEN* token = slot->token;
    if (token->userPinLocked) {
      throw BadInputError("pki.hsm_pin_locked",
                          fmt::format("the user PIN of PKCS#11 token '{}' is locked", config.token_label),
                          "the security officer resets it (pkcs11-tool --init-pin --login --login-type so)");
    }
    if (!token->userPinSet) {
      throw BadInputError("pki.hsm_pin_not_set", fmt::format("PKCS#11 token '{}' has no user PIN", config.token_label),
                          "the security officer sets one (pkcs11-tool --init-pin --login --login-type so)");
    }
    int result = 0;
    {
      SecretBytes pin = read_pin(config);
      result = PKCS11_login(slot, 0, reinterpret_cast<const char*>(pin.data()));
    }  // the PIN is wiped here
    if (result == 0) return;
    const int reason = newest_pkcs11_reason();
    const std::string detail = crypto::last_openssl_error();
    if (reason == kCkrPinIncorrect || reason == kCkrPinInvalid || reason == kCkrPinLenRange) {
      throw BadInputError(
          "pki.hsm_pin_incorrect",
          fmt::format("the user PIN for PKCS#11 token '{}' is incorrect (PIN from {})", config.token_label,
                      pin_source(config)),
          fmt::format("put the token's user PIN in {}; every wrong try counts towards locking the token",
                      pin_source(config)));
    }
    if (reason == kCkrPinLocked) {
      throw BadInputError("pki.hsm_pin_locked",
                          fmt::format("the user PIN of PKCS#11 token '{}' is locked", config.token_label),
                          "the security officer resets it (pkcs11-tool --init-pin --login --login-type so)");
    }
    if (reason == kCkrPinExpired) {
      throw BadInputError("pki.hsm_pin_expired",
                          fmt::format("the user PIN of PKCS#11 token '{}' has expired", config.token_label),
                          "change it with the token's tools (pkcs11-tool --change-pin)");
    }
    throw CryptoError("pki.hsm_login",
                      fmt::format("cannot log in to PKCS#11 token '{}': {}", config.token_label, detail),
                      "check the token with 'pkcs11-tool --list-token-slots'");
  }

  void find_key(PKCS11_SLOT* slot, const Pkcs11CaConfig& config) {
    Bytes wanted_id;
    if (!config.key_id.empty()) {
      try {
        wanted_id = from_hex(config.key_id);
      } catch (Error& e) {
        throw e.with_context("in [ca] key_id");
      }
    }
    PKCS11_KEY* keys = nullptr;
    unsigned int count = 0;
    if (PKCS11_enumerate_keys(slot->token, &keys, &count) != 0) {
      throw CryptoError("pki.hsm",
                        fmt::format("cannot list the keys of PKCS#11 token '{}': {}", config.token_label,
                                    crypto::last_openssl_error()),
                        "check the token with 'pkcs11-tool --list-objects'");
    }
    PKCS11_KEY* found = nullptr;
    std::vector<std::string> names;
    for (unsigned int i = 0; i < count; ++i) {
      const PKCS11_KEY& key = keys[i];
      if (!key.isPrivate) continue;
      names.push_back(key_name(key));
      const bool label_matches = config.key_label.empty() || (key.label != nullptr && config.key_label == key.label);
      const bool id_matches = config.key_id.empty() || (key.id != nullptr && key.id_len == wanted_id.size() &&
                                                        std::memcmp(key.id, wanted_id.data(), key.id_len) == 0);
      if (!label_matches || !id_matches) continue;
      if (found != nullptr) {
        throw BadInputError("pki.hsm_key_ambiguous",
                            fmt::format("more than one private key on PKCS#11 token '{}' has {}", config.token_label,
                                        key_selector(config)),
                            "set both [ca] key_label and key_id");
      }
      found = &keys[i];
    }
    if (found == nullptr) {
      throw BadInputError(
          "pki.hsm_key_not_found",
          fmt::format("no private key with {} on PKCS#11 token '{}' (private keys: {})", key_selector(config),
                      config.token_label, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))),
          fmt::format("fix [ca] key_label/key_id, or generate the key in the token: pkcs11-tool --module {} "
                      "--token-label {} --login --keypairgen --key-type EC:prime256v1 --label LABEL --id 01",
                      config.module.string(), config.token_label));
    }
    key_text_ = key_name(*found);
    key_.reset(PKCS11_get_private_key(found));
    if (!key_) {
      throw CryptoError("pki.hsm",
                        fmt::format("cannot use key {} on PKCS#11 token '{}': {}", key_text_, config.token_label,
                                    crypto::last_openssl_error()),
                        "check the key with 'pkcs11-tool --list-objects'");
    }
    const int type = EVP_PKEY_get_base_id(key_.get());
    if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) {
      throw BadInputError("pki.hsm_key_type",
                          fmt::format("key {} on PKCS#11 token '{}' is {}, not EC or RSA", key_text_,
                                      config.token_label, describe_key(key_.get())),
                          "use an EC P-256 or RSA key for the CA");
    }
  }

  ModuleClaim claim_;
  PKCS11_CTX* ctx_ = nullptr;
  bool loaded_ = false;
  PKCS11_SLOT* slots_ = nullptr;
  unsigned int slot_count_ = 0;
  crypto::EvpPkeyPtr key_;
  std::string key_text_;
};

}  // namespace detail

Pkcs11Ca::Pkcs11Ca(Pkcs11CaConfig config, std::unique_ptr<detail::Pkcs11Token> token, std::string certificate_pem)
    : config_(std::move(config)),
      token_(std::move(token)),
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
                        "create it for the token's key (self_sign_ca_certificate, later 'espfab ca init --pkcs11') "
                        "or fix [ca] certificate");
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
  std::unique_ptr<detail::Pkcs11Token> token = detail::Pkcs11Token::open(config);
  prove_key_matches(token->key(), certificate.get(), token->key_text(), config);
  return Pkcs11Ca(config, std::move(token), std::move(pem));
}

IssuedCertificate Pkcs11Ca::sign(X509_REQ* csr, const IssueProfile& profile) {
  try {
    return issue_certificate(
        csr, profile, {.certificate = certificate_.get(), .certificate_pem = certificate_pem_, .key = token_->key()},
        config_.state_dir);
  } catch (Error& e) {
    e.with_context(fmt::format("issuing with key {} on PKCS#11 token '{}'", token_->key_text(), config_.token_label));
    throw;
  }
}

std::string Pkcs11Ca::describe() const {
  return fmt::format("PKCS#11 CA {} (token '{}', key {}, {}, module {})",
                     name_to_string(X509_get_subject_name(certificate_.get())), config_.token_label, token_->key_text(),
                     describe_key(token_->key()), config_.module.string());
}

std::size_t Pkcs11Ca::issued_count() const { return pki::issued_count(config_.state_dir); }

std::string self_sign_ca_certificate(const Pkcs11CaConfig& config, const CaCertificateSpec& subject) {
  check_config(config);
  if (std::filesystem::exists(config.certificate) || has_issuance_state(config.state_dir)) {
    throw PolicyRefusalError("pki.ca_exists",
                             fmt::format("the CA certificate '{}' or the state in '{}' already exists",
                                         config.certificate.string(), config.state_dir.string()),
                             "a CA is never overwritten; choose new paths");
  }
  const std::unique_ptr<detail::Pkcs11Token> token = detail::Pkcs11Token::open(config);
  X509Ptr certificate;
  try {
    certificate = build_ca_certificate(token->key(), subject);
  } catch (Error& e) {
    e.with_context(
        fmt::format("self-signing with key {} on PKCS#11 token '{}'", token->key_text(), config.token_label));
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
