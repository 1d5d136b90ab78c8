#include "hsm_key_options.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace espfab::cli {

bool HsmKeyOptions::given() const {
  return !module.empty() || !token.empty() || !key_label.empty() || !key_id.empty() || !pin_env.empty() ||
         !pin_file.empty();
}

void HsmKeyOptions::add_to(CLI::App& app, const std::string& group, const std::string& key) {
  app.add_option("--pkcs11-module", module, "the token vendor's PKCS#11 library")->group(group);
  app.add_option("--token", token, "the token's label")->group(group);
  app.add_option("--key-label", key_label, fmt::format("{}'s label (CKA_LABEL)", key))->group(group);
  app.add_option("--key-id", key_id, fmt::format("{}'s id in hex (CKA_ID), e.g. 01", key))->group(group);
  app.add_option("--pin-env", pin_env, "environment variable holding the user PIN")->group(group);
  app.add_option("--pin-file", pin_file, "file holding the user PIN (mode 0600)")->group(group);
}

pki::Pkcs11KeyConfig HsmKeyOptions::config(const std::string& hint) const {
  if (module.empty()) throw BadInputError("cli.hsm_options", "--pkcs11-module is missing", hint);
  if (token.empty()) throw BadInputError("cli.hsm_options", "--token is missing", hint);
  pki::Pkcs11KeyConfig config;
  config.module = module;
  config.token_label = token;
  config.key_label = key_label;
  config.key_id = key_id;
  config.pin_env = pin_env;
  config.pin_file = pin_file;
  return config;
}

}  // namespace espfab::cli
