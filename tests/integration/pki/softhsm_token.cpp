#include "softhsm_token.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "util/file_io.hpp"

namespace espfab::test {

std::filesystem::path find_tool(const std::string& name, const std::string& package) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  ADD_FAILURE() << name << " is not installed (apt-get install " << package << ")";
  throw std::runtime_error(name + " missing");
}

SoftHsmToken::SoftHsmToken() {
  std::filesystem::create_directories(dir_ / "tokens");
  write_text_file_atomic(dir_ / "softhsm2.conf", "directories.tokendir = " + (dir_ / "tokens").string() +
                                                     "\nobjectstore.backend = file\nlog.level = ERROR\n"
                                                     "slots.removable = false\n");
  ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
  ::setenv(kPinEnv, kUserPin, 1);
  const CommandResult init =
      run_command(find_tool("softhsm2-util", "softhsm2"),
                  {"--init-token", "--free", "--label", kToken, "--so-pin", kSoPin, "--pin", kUserPin});
  if (init.exit_code != 0) throw std::runtime_error("softhsm2-util --init-token failed: " + init.out + init.err);
}

SoftHsmToken::~SoftHsmToken() {
  ::unsetenv(kPinEnv);
  ::unsetenv("SOFTHSM2_CONF");
}

CommandResult SoftHsmToken::pkcs11_tool(const std::vector<std::string>& args) const {
  std::vector<std::string> all{"--module", kModule, "--token-label", kToken, "--login", "--pin", kUserPin};
  all.insert(all.end(), args.begin(), args.end());
  return run_command(find_tool("pkcs11-tool", "opensc"), all);
}

void SoftHsmToken::generate_key(const std::string& type, const std::string& label, const std::string& id,
                                bool extractable) const {
  std::vector<std::string> args{"--keypairgen", "--key-type", type, "--label", label, "--id", id};
  if (extractable) args.push_back("--extractable");
  const CommandResult result = pkcs11_tool(args);
  if (result.exit_code != 0) throw std::runtime_error("pkcs11-tool --keypairgen failed: " + result.out + result.err);
}

std::filesystem::path SoftHsmToken::export_public_key_pem(const std::string& label) const {
  const std::filesystem::path der = dir_ / (label + ".pub.der");
  const std::filesystem::path pem = dir_ / (label + ".pub.pem");
  const CommandResult read =
      pkcs11_tool({"--read-object", "--type", "pubkey", "--label", label, "--output-file", der.string()});
  if (read.exit_code != 0) throw std::runtime_error("pkcs11-tool --read-object failed: " + read.out + read.err);
  const CommandResult convert =
      run_command(find_tool("openssl", "openssl"),
                  {"pkey", "-pubin", "-inform", "DER", "-in", der.string(), "-outform", "PEM", "-out", pem.string()});
  if (convert.exit_code != 0) throw std::runtime_error("openssl pkey failed: " + convert.out + convert.err);
  return pem;
}

pki::Pkcs11KeyConfig SoftHsmToken::key_config(const std::string& key_label) const {
  pki::Pkcs11KeyConfig config;
  config.module = kModule;
  config.token_label = kToken;
  config.key_label = key_label;
  config.pin_env = kPinEnv;
  return config;
}

pki::Pkcs11CaConfig SoftHsmToken::config(const std::string& key_label) const {
  pki::Pkcs11CaConfig config;
  static_cast<pki::Pkcs11KeyConfig&>(config) = key_config(key_label);
  config.certificate = dir_ / "ca" / "ca.crt";
  config.state_dir = dir_ / "ca" / "state";
  return config;
}

}  // namespace espfab::test
