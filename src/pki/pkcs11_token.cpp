#include "pki/pkcs11_token.hpp"

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

std::string module_hint(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings) {
  return fmt::format(
      "set {} to the token vendor's PKCS#11 library (SoftHSM: apt-get install softhsm2, "
      "/usr/lib/softhsm/libsofthsm2.so, with SOFTHSM2_CONF naming its config); now '{}'",
      settings.module, config.module.string());
}

std::string pin_source(const Pkcs11KeyConfig& config) {
  if (!config.pin_env.empty()) return fmt::format("the environment variable {}", config.pin_env);
  return fmt::format("the file '{}'", config.pin_file.string());
}

std::string hex_id(const unsigned char* id, std::size_t size) {
  return id == nullptr || size == 0 ? std::string("(none)") : to_hex(ByteView(id, size));
}

// "label 'ca-key' id 01", "label 'ca-key'", "id 01": what the configuration asks for.
std::string key_selector(const Pkcs11KeyConfig& config) {
  std::string text;
  if (!config.key_label.empty()) text = fmt::format("label '{}'", config.key_label);
  if (!config.key_id.empty()) text += fmt::format("{}id {}", text.empty() ? "" : " ", config.key_id);
  return text;
}

std::string key_name(const PKCS11_KEY& key) {
  return fmt::format("'{}' id {}", key.label != nullptr ? key.label : "", hex_id(key.id, key.id_len));
}

// The PIN with a terminating NUL for libp11, from `text` without a trailing line break.
SecretBytes terminated_pin(ByteView text, const Pkcs11KeyConfig& config) {
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

SecretBytes read_pin(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings) {
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
    throw BadInputError(
        "pki.hsm_no_pin",
        fmt::format("cannot read the PIN file '{}': {}", config.pin_file.string(), std::strerror(err)),
        fmt::format("create it with the token's user PIN on one line, mode 0600, or fix {}", settings.pin_file));
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

// One Pkcs11Key per module and process (see pkcs11_token.hpp).
class ModuleClaim {
 public:
  // Keyed by the canonical path, so that links to one library count as one module.
  explicit ModuleClaim(const std::filesystem::path& module) : module_(canonical_name(module)) {
    const std::lock_guard lock(mutex());
    if (!claimed().insert(module_).second) {
      throw PolicyRefusalError(
          "pki.hsm_module_busy",
          fmt::format("the PKCS#11 module '{}' is already in use by a key in this process (a CA or a signing key)",
                      module.string()),
          "use the open one (one PKCS#11 key per module and process) or close it first");
    }
  }
  ~ModuleClaim() {
    const std::lock_guard lock(mutex());
    claimed().erase(module_);
  }
  ModuleClaim(const ModuleClaim&) = delete;
  ModuleClaim& operator=(const ModuleClaim&) = delete;
  ModuleClaim(ModuleClaim&&) = delete;
  ModuleClaim& operator=(ModuleClaim&&) = delete;

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

}  // namespace

// The loaded module, the logged-in token and the private key (an EVP_PKEY whose operations libp11
// sends to the token).
class Pkcs11Key::Session {
 public:
  Session(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings)
      : config_(config), settings_(settings), claim_(config.module), ctx_(PKCS11_CTX_new()) {
    if (ctx_ == nullptr) throw CryptoError("pki.hsm", "cannot create a libp11 context", "out of memory?");
  }

  ~Session() {
    // Order matters: the key refers to the slot, the slots to the module (libp11 0.4.12 leaks or
    // crashes otherwise). Releasing the slots also wipes libp11's copy of the PIN.
    key_.reset();
    if (slots_ != nullptr) PKCS11_release_all_slots(ctx_, slots_, slot_count_);
    if (loaded_) PKCS11_CTX_unload(ctx_);
    if (ctx_ != nullptr) PKCS11_CTX_free(ctx_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) = delete;
  Session& operator=(Session&&) = delete;

  void open() {
    load();
    PKCS11_SLOT* slot = find_slot();
    login(slot);
    find_key(slot);
  }

  EVP_PKEY* key() const noexcept { return key_.get(); }
  const std::string& key_text() const noexcept { return key_text_; }
  const Pkcs11KeyConfig& config() const noexcept { return config_; }
  const Pkcs11Settings& settings() const noexcept { return settings_; }

 private:
  void load() {
    if (PKCS11_CTX_load(ctx_, config_.module.c_str()) != 0) {
      throw BadInputError(
          "pki.hsm_module",
          fmt::format("cannot load the PKCS#11 module '{}': {}", config_.module.string(), crypto::last_openssl_error()),
          module_hint(config_, settings_));
    }
    loaded_ = true;
    if (PKCS11_enumerate_slots(ctx_, &slots_, &slot_count_) != 0) {
      slots_ = nullptr;
      slot_count_ = 0;
      throw CryptoError(
          "pki.hsm",
          fmt::format("cannot list the slots of '{}': {}", config_.module.string(), crypto::last_openssl_error()),
          module_hint(config_, settings_));
    }
  }

  PKCS11_SLOT* find_slot() {
    PKCS11_SLOT* found = nullptr;
    std::vector<std::string> labels;
    for (unsigned int i = 0; i < slot_count_; ++i) {
      const PKCS11_TOKEN* token = slots_[i].token;
      if (token == nullptr || !token->initialized || token->label == nullptr) continue;
      labels.push_back(fmt::format("'{}'", token->label));
      if (config_.token_label != token->label) continue;
      if (found != nullptr) {
        throw BadInputError("pki.hsm_token_ambiguous",
                            fmt::format("more than one PKCS#11 token is labelled '{}'", config_.token_label),
                            "give each token its own label");
      }
      found = &slots_[i];
    }
    if (found == nullptr) {
      throw BadInputError(
          "pki.hsm_token_not_found",
          fmt::format("no PKCS#11 token labelled '{}' in '{}' (tokens: {})", config_.token_label,
                      config_.module.string(), labels.empty() ? "none" : fmt::format("{}", fmt::join(labels, ", "))),
          fmt::format("plug in the HSM or fix {}; 'pkcs11-tool --module {} --list-token-slots' lists them",
                      settings_.token, config_.module.string()));
    }
    return found;
  }

  [[noreturn]] void throw_pin_locked() const {
    throw BadInputError("pki.hsm_pin_locked",
                        fmt::format("the user PIN of PKCS#11 token '{}' is locked", config_.token_label),
                        "the security officer resets it (pkcs11-tool --init-pin --login --login-type so)");
  }

  void login(PKCS11_SLOT* slot) {
    const PKCS11_TOKEN* token = slot->token;
    if (token->userPinLocked) throw_pin_locked();
    if (!token->userPinSet) {
      throw BadInputError("pki.hsm_pin_not_set", fmt::format("PKCS#11 token '{}' has no user PIN", config_.token_label),
                          "the security officer sets one (pkcs11-tool --init-pin --login --login-type so)");
    }
    int result = 0;
    {
      SecretBytes pin = read_pin(config_, settings_);
      result = PKCS11_login(slot, 0, reinterpret_cast<const char*>(pin.data()));
    }  // the PIN is wiped here
    if (result == 0) return;
    const int reason = newest_pkcs11_reason();
    const std::string detail = crypto::last_openssl_error();
    if (reason == kCkrPinIncorrect || reason == kCkrPinInvalid || reason == kCkrPinLenRange) {
      throw BadInputError(
          "pki.hsm_pin_incorrect",
          fmt::format("the user PIN for PKCS#11 token '{}' is incorrect (PIN from {})", config_.token_label,
                      pin_source(config_)),
          fmt::format("put the token's user PIN in {}; every wrong try counts towards locking the token",
                      pin_source(config_)));
    }
    if (reason == kCkrPinLocked) throw_pin_locked();
    if (reason == kCkrPinExpired) {
      throw BadInputError("pki.hsm_pin_expired",
                          fmt::format("the user PIN of PKCS#11 token '{}' has expired", config_.token_label),
                          "change it with the token's tools (pkcs11-tool --change-pin)");
    }
    throw CryptoError("pki.hsm_login",
                      fmt::format("cannot log in to PKCS#11 token '{}': {}", config_.token_label, detail),
                      "check the token with 'pkcs11-tool --list-token-slots'");
  }

  void find_key(PKCS11_SLOT* slot) {
    Bytes wanted_id;
    if (!config_.key_id.empty()) {
      try {
        wanted_id = from_hex(config_.key_id);
      } catch (Error& e) {
        e.with_context("in " + settings_.key_id);
        throw;
      }
    }
    PKCS11_KEY* keys = nullptr;
    unsigned int count = 0;
    if (PKCS11_enumerate_keys(slot->token, &keys, &count) != 0) {
      throw CryptoError("pki.hsm",
                        fmt::format("cannot list the keys of PKCS#11 token '{}': {}", config_.token_label,
                                    crypto::last_openssl_error()),
                        "check the token with 'pkcs11-tool --list-objects'");
    }
    PKCS11_KEY* found = nullptr;
    std::vector<std::string> names;
    for (unsigned int i = 0; i < count; ++i) {
      const PKCS11_KEY& key = keys[i];
      if (!key.isPrivate) continue;
      names.push_back(key_name(key));
      const bool label_matches = config_.key_label.empty() || (key.label != nullptr && config_.key_label == key.label);
      const bool id_matches = config_.key_id.empty() || (key.id != nullptr && key.id_len == wanted_id.size() &&
                                                         std::memcmp(key.id, wanted_id.data(), key.id_len) == 0);
      if (!label_matches || !id_matches) continue;
      if (found != nullptr) {
        throw BadInputError("pki.hsm_key_ambiguous",
                            fmt::format("more than one private key on PKCS#11 token '{}' has {}", config_.token_label,
                                        key_selector(config_)),
                            fmt::format("set both {} and {}", settings_.key_label, settings_.key_id));
      }
      found = &keys[i];
    }
    if (found == nullptr) {
      throw BadInputError(
          "pki.hsm_key_not_found",
          fmt::format("no private key with {} on PKCS#11 token '{}' (private keys: {})", key_selector(config_),
                      config_.token_label, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))),
          fmt::format("fix {}/{}, or generate the {} in the token: pkcs11-tool --module {} --token-label {} --login "
                      "--keypairgen --key-type {} --label LABEL --id 01",
                      settings_.key_label, settings_.key_id, settings_.key_role, config_.module.string(),
                      config_.token_label, settings_.key_type));
    }
    key_text_ = key_name(*found);
    key_.reset(PKCS11_get_private_key(found));
    if (!key_) {
      throw CryptoError("pki.hsm",
                        fmt::format("cannot use key {} on PKCS#11 token '{}': {}", key_text_, config_.token_label,
                                    crypto::last_openssl_error()),
                        "check the key with 'pkcs11-tool --list-objects'");
    }
  }

  Pkcs11KeyConfig config_;
  Pkcs11Settings settings_;
  ModuleClaim claim_;
  PKCS11_CTX* ctx_ = nullptr;
  bool loaded_ = false;
  PKCS11_SLOT* slots_ = nullptr;
  unsigned int slot_count_ = 0;
  crypto::EvpPkeyPtr key_;
  std::string key_text_;
};

void check_key_config(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings) {
  const std::string hint = "see " + settings.docs;
  if (config.token_label.empty()) {
    throw BadInputError("pki.hsm_config", fmt::format("no PKCS#11 token label is configured ({})", settings.token),
                        fmt::format("list the tokens with 'pkcs11-tool --module {} --list-token-slots'; {}",
                                    config.module.string(), hint));
  }
  if (config.key_label.empty() && config.key_id.empty()) {
    throw BadInputError(
        "pki.hsm_config",
        fmt::format("no {} is configured ({} or {})", settings.key_role, settings.key_label, settings.key_id),
        fmt::format("list the keys with 'pkcs11-tool --module {} --token-label {} --login "
                    "--list-objects --type privkey'; {}",
                    config.module.string(), config.token_label, hint));
  }
  if (config.pin_env.empty() == config.pin_file.empty()) {
    throw BadInputError(
        "pki.hsm_config",
        fmt::format("set exactly one of {} and {} for the token's user PIN", settings.pin_env, settings.pin_file),
        hint);
  }
}

std::unique_ptr<Pkcs11Key> Pkcs11Key::open(const Pkcs11KeyConfig& config, const Pkcs11Settings& settings) {
  check_key_config(config, settings);
  if (!std::filesystem::is_regular_file(config.module)) {
    throw BadInputError("pki.hsm_module", fmt::format("the PKCS#11 module '{}' does not exist", config.module.string()),
                        module_hint(config, settings));
  }
  if (!is_elf(config.module)) {
    throw BadInputError("pki.hsm_module",
                        fmt::format("the PKCS#11 module '{}' is not a shared library", config.module.string()),
                        module_hint(config, settings));
  }
  auto session = std::make_unique<Session>(config, settings);
  session->open();
  return std::unique_ptr<Pkcs11Key>(new Pkcs11Key(std::move(session)));
}

Pkcs11Key::Pkcs11Key(std::unique_ptr<Session> session) : session_(std::move(session)) {}
Pkcs11Key::~Pkcs11Key() = default;

EVP_PKEY* Pkcs11Key::key() const noexcept { return session_->key(); }
const std::string& Pkcs11Key::key_text() const noexcept { return session_->key_text(); }
const Pkcs11KeyConfig& Pkcs11Key::config() const noexcept { return session_->config(); }
const Pkcs11Settings& Pkcs11Key::settings() const noexcept { return session_->settings(); }

std::string Pkcs11Key::describe() const {
  return fmt::format("key {} ({}) on PKCS#11 token '{}', module {}", key_text(), describe_key(key()),
                     config().token_label, config().module.string());
}

}  // namespace espfab::pki
