// The command-line options that name a private key in a PKCS#11 token (an HSM): module, token,
// key label or id, and where the user PIN comes from (an environment variable or a 0600 file, never
// the command line). Shared by `secure-boot sign|digest` and `ca init --pkcs11`.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "pki/pkcs11_token.hpp"

namespace espfab::cli {

struct HsmKeyOptions {
  std::string module;
  std::string token;
  std::string key_label;
  std::string key_id;
  std::string pin_env;
  std::string pin_file;

  bool given() const;
  // The six options in help group `group`; `key` names the key in the help texts ("the CA key").
  void add_to(CLI::App& app, const std::string& group, const std::string& key);
  // Throws BadInputError cli.hsm_options (with `hint`) when the module or token is missing.
  pki::Pkcs11KeyConfig config(const std::string& hint) const;
};

}  // namespace espfab::cli
