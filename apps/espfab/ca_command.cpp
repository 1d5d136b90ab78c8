// `espfab ca init|sign`: the local CA in a directory (P-256 key file 0600, self-signed certificate,
// serial file and index of issued certificates), and `ca init --pkcs11`: the certificate and state
// of a CA whose key is in a PKCS#11 token (an HSM). See docs/identity.md.
#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "hsm_key_options.hpp"
#include "service/ca_operations.hpp"

namespace espfab::cli {
namespace {

// `--pkcs11`: the CA key in a token; the PIN comes from an environment variable or a 0600 file.
struct Pkcs11InitOptions {
  bool enabled = false;
  HsmKeyOptions key;
  std::string certificate;
  std::string state_dir;

  bool any_option() const { return key.given() || !certificate.empty() || !state_dir.empty(); }
};

struct InitArgs {
  std::string dir;
  std::string common_name;
  std::string organization;
  unsigned days = 7300;
  Pkcs11InitOptions pkcs11;
};

// A local CA: DIR and no PKCS#11 options.
void check_local_options(const InitArgs& args) {
  if (args.dir.empty()) {
    throw BadInputError("cli.ca_init_dir", "no CA directory given",
                        "espfab ca init DIR for a local CA, or espfab ca init --pkcs11 ... for a key in an HSM");
  }
  if (args.pkcs11.any_option()) {
    throw BadInputError("cli.ca_init_pkcs11_options", "PKCS#11 options given without --pkcs11",
                        "add --pkcs11 to create the certificate of a key in a token, or leave the options out");
  }
}

// A CA key in a token: the key options, --certificate and --state-dir, and no DIR.
pki::Pkcs11CaConfig pkcs11_config(const InitArgs& args) {
  const Pkcs11InitOptions& options = args.pkcs11;
  const std::string hint =
      "ca init --pkcs11 needs --pkcs11-module PATH --token LABEL (--key-label L | --key-id HEX) (--pin-env VAR | "
      "--pin-file FILE) --certificate OUT.pem --state-dir DIR; see docs/identity.md, \"PKCS#11 HSM CA\"";
  if (!args.dir.empty()) {
    throw BadInputError("cli.ca_init_dir", fmt::format("a CA directory ('{}') given with --pkcs11", args.dir),
                        "the key stays in the token: give --certificate and --state-dir instead of DIR");
  }
  const pki::Pkcs11KeyConfig key = options.key.config(hint);
  const std::array<std::pair<const std::string*, const char*>, 2> required{
      {{&options.certificate, "--certificate"}, {&options.state_dir, "--state-dir"}}};
  for (const auto& [value, option] : required) {
    if (value->empty()) throw BadInputError("cli.ca_init_pkcs11_options", fmt::format("{} is missing", option), hint);
  }
  pki::Pkcs11CaConfig config;
  static_cast<pki::Pkcs11KeyConfig&>(config) = key;
  config.certificate = options.certificate;
  config.state_dir = options.state_dir;
  return config;
}

// The station profile's [ca] section for the new CA.
void print_profile_section(const pki::Pkcs11CaConfig& profile) {
  std::cout << "Station profile:\n  [ca]\n  backend = \"pkcs11\"\n"
            << fmt::format("  module = \"{}\"\n  token = \"{}\"\n", profile.module.string(), profile.token_label);
  if (!profile.key_label.empty()) std::cout << fmt::format("  key_label = \"{}\"\n", profile.key_label);
  if (!profile.key_id.empty()) std::cout << fmt::format("  key_id = \"{}\"\n", profile.key_id);
  if (!profile.pin_env.empty()) std::cout << fmt::format("  pin_env = \"{}\"\n", profile.pin_env);
  if (!profile.pin_file.empty()) std::cout << fmt::format("  pin_file = \"{}\"\n", profile.pin_file.string());
  std::cout << fmt::format("  certificate = \"{}\"\n  state_dir = \"{}\"\n", profile.certificate.string(),
                           profile.state_dir.string());
}

void init(const InitArgs& args) {
  service::CaInitRequest request{.dir = args.dir,
                                 .common_name = args.common_name,
                                 .organization = args.organization,
                                 .validity = std::chrono::days(args.days)};
  if (args.pkcs11.enabled) {
    request.pkcs11 = pkcs11_config(args);
  } else {
    check_local_options(args);
  }
  const service::CaInitResult result = service::init_ca(request);
  if (!result.profile) {
    std::cout << fmt::format("{}: created {}\n  ca.key (mode 0600), ca.crt, serial, index.txt\n", args.dir,
                             result.description);
    return;
  }
  std::cout << fmt::format("{}: created {}\n  state in {}: serial, index.txt\n", args.pkcs11.certificate,
                           result.description, args.pkcs11.state_dir);
  print_profile_section(*result.profile);
}

struct SignArgs {
  std::string csr;
  std::string output;
  std::string ca_dir;
  unsigned days = 3650;
  bool server_auth = false;
  bool chain = false;
};

void sign(const SignArgs& args) {
  const service::CaSignResult result = service::sign_certificate_request({.csr = args.csr,
                                                                          .output = args.output,
                                                                          .ca_dir = args.ca_dir,
                                                                          .validity = std::chrono::days(args.days),
                                                                          .server_auth = args.server_auth,
                                                                          .chain = args.chain});
  std::cout << fmt::format("{}: serial {}, {}, valid {} days, signed by {}\n", args.output, result.serial_hex,
                           result.subject, args.days, result.ca_description);
}

const RegisterGroup kGroup{"ca", "The company CA: create it (local or in an HSM), issue device certificates"};

const RegisterCommand kInit{{
    "ca init",
    "Create a local CA (P-256) in a new directory, or the certificate of a CA key in an HSM (--pkcs11)",
    [](CLI::App& app) {
      auto args = std::make_shared<InitArgs>();
      app.add_option("DIR", args->dir, "directory for a local CA (created; must not hold a CA yet)");
      app.add_option("--cn", args->common_name,
                     fmt::format("the CA's common name (default '{}', with --pkcs11 '{}')",
                                 service::kDefaultLocalCaName, service::kDefaultHsmCaName));
      app.add_option("--org", args->organization, "the CA's organization");
      app.add_option("--days", args->days, "validity of the CA certificate")->capture_default_str();
      Pkcs11InitOptions& pkcs11 = args->pkcs11;
      const std::string group = "CA key in a PKCS#11 token";
      app.add_flag("--pkcs11", pkcs11.enabled, "the CA key is in a PKCS#11 token (HSM); no DIR")->group(group);
      pkcs11.key.add_to(app, group, "the CA key");
      app.add_option("--certificate", pkcs11.certificate, "the CA certificate to write (PEM)")->group(group);
      app.add_option("--state-dir", pkcs11.state_dir, "directory for serial and index.txt (created)")->group(group);
      app.footer(
          "Local CA: a new P-256 key in DIR/ca.key (mode 0600), the self-signed DIR/ca.crt, serial and index.txt.\n"
          "With --pkcs11 the key (EC P-256 or RSA) is already in the token and never leaves it: espfab logs in\n"
          "(PIN from --pin-env or a mode-0600 --pin-file, never the command line), has the token self-sign the\n"
          "CA certificate, writes it to --certificate and a fresh state to --state-dir, and prints the station\n"
          "profile's [ca] section. An existing CA (key, certificate or state) is never overwritten (exit 6).\n\n"
          "Examples:\n"
          "  espfab ca init build/ca --cn \"Example Devices CA\" --org Example\n"
          "  read -rs ESPFAB_HSM_PIN && export ESPFAB_HSM_PIN\n"
          "  espfab ca init --pkcs11 --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token espfab-ca \\\n"
          "      --key-label ca-key --pin-env ESPFAB_HSM_PIN --certificate /etc/espfab/ca.crt \\\n"
          "      --state-dir /var/lib/espfab/ca --cn \"Example Devices CA\" --org Example\n");
      app.callback([args] { init(*args); });
    },
}};

const RegisterCommand kSign{{
    "ca sign",
    "Issue a device certificate for a CSR with the local CA",
    [](CLI::App& app) {
      auto args = std::make_shared<SignArgs>();
      app.add_option("CSR", args->csr, "certificate request (PEM)")->required()->check(CLI::ExistingFile);
      app.add_option("-o,--output", args->output, "certificate to write (PEM)")->required();
      app.add_option("--ca-dir", args->ca_dir, "the CA directory made by 'espfab ca init'")
          ->required()
          ->check(CLI::ExistingDirectory);
      app.add_option("--days", args->days, "validity of the device certificate")->capture_default_str();
      app.add_flag("--server-auth", args->server_auth, "add serverAuth to the extended key usage (clientAuth always)");
      app.add_flag("--chain", args->chain, "append the CA certificate to the output");
      app.footer(
          "The certificate gets the CSR's subject and subjectAltName, basicConstraints CA:FALSE, keyUsage\n"
          "digitalSignature, extendedKeyUsage clientAuth, SKI/AKI, and the next serial number (never reused).\n");
      app.callback([args] { sign(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
