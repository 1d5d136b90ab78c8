// A private SoftHSM2 token store for one test (cookbook §3): its own softhsm2.conf and token
// directory under a temp dir, SOFTHSM2_CONF set for this process and every tool it starts, one
// initialised token, keys generated inside it with pkcs11-tool.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pki/pkcs11_ca.hpp"
#include "pki/pkcs11_token.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

namespace espfab::test {

// The absolute path of a program on PATH; fails the test (naming the package) when it is missing.
std::filesystem::path find_tool(const std::string& name, const std::string& package);

class SoftHsmToken {
 public:
  static constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
  static constexpr const char* kToken = "espfab-ca";
  static constexpr const char* kUserPin = "1234";
  static constexpr const char* kSoPin = "87654321";
  static constexpr const char* kPinEnv = "ESPFAB_TEST_HSM_PIN";

  // Initialises token kToken and exports kPinEnv = kUserPin.
  SoftHsmToken();
  ~SoftHsmToken();
  SoftHsmToken(const SoftHsmToken&) = delete;
  SoftHsmToken& operator=(const SoftHsmToken&) = delete;

  // pkcs11-tool --keypairgen inside the token: type "EC:prime256v1" or "rsa:3072".
  void generate_key(const std::string& type, const std::string& label, const std::string& id,
                    bool extractable = false) const;
  // pkcs11-tool on the token, logged in with the user PIN.
  CommandResult pkcs11_tool(const std::vector<std::string>& args) const;

  // The public key of the key pair labelled `label`, read from the token with pkcs11-tool and
  // converted with the openssl CLI: <dir>/<label>.pub.pem (independent of espfab's code).
  std::filesystem::path export_public_key_pem(const std::string& label) const;

  // A key configuration for key `label` (PIN from kPinEnv), and the CA configuration on it
  // (certificate and state under the temp dir).
  pki::Pkcs11KeyConfig key_config(const std::string& key_label) const;
  // A CA configuration for key `label`: PIN from kPinEnv, certificate and state under the temp dir.
  pki::Pkcs11CaConfig config(const std::string& key_label = "ca-key") const;

  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
};

}  // namespace espfab::test
