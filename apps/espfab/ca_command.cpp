// `espfab ca init|sign`: the local CA in a directory (P-256 key file 0600, self-signed certificate,
// serial file and index of issued certificates). See docs/identity.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "pki/local_ca.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

struct InitArgs {
  std::string dir;
  std::string common_name = "espfab Local CA";
  std::string organization;
  unsigned days = 7300;
};

void init(const InitArgs& args) {
  const pki::LocalCa ca = pki::LocalCa::init(
      args.dir,
      {.common_name = args.common_name, .organization = args.organization, .validity = std::chrono::days(args.days)});
  std::cout << fmt::format("{}: created {}\n  ca.key (mode 0600), ca.crt, serial, index.txt\n", args.dir,
                           ca.describe());
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
  pki::LocalCa ca = pki::LocalCa::open(args.ca_dir);
  const pki::X509ReqPtr csr = pki::csr_from_pem(read_text_file(args.csr), "certificate request " + args.csr);
  const pki::IssuedCertificate issued =
      ca.sign(csr.get(), {.validity = std::chrono::days(args.days), .server_auth = args.server_auth});
  std::string out = issued.certificate_pem;
  if (args.chain) {
    for (const auto& pem : issued.chain_pem) out += pem;
  }
  write_text_file_atomic(args.output, out);
  std::cout << fmt::format("{}: serial {}, {}, valid {} days, signed by {}\n", args.output, issued.serial_hex,
                           issued.subject, args.days, ca.describe());
}

const RegisterGroup kGroup{"ca", "The local company CA: create it, issue device certificates"};

const RegisterCommand kInit{{
    "ca init",
    "Create a local CA (P-256) in a new directory",
    [](CLI::App& app) {
      auto args = std::make_shared<InitArgs>();
      app.add_option("DIR", args->dir, "directory for the CA (created; must not hold a CA yet)")->required();
      app.add_option("--cn", args->common_name, "the CA's common name")->capture_default_str();
      app.add_option("--org", args->organization, "the CA's organization");
      app.add_option("--days", args->days, "validity of the CA certificate")->capture_default_str();
      app.footer("The key file is written with mode 0600; an existing CA is never overwritten (exit 6).\n");
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
