// `espfab secure-boot generate-key|digest|sign|verify|info`: Secure Boot V2 (RSA-3072) like
// espsecure.py generate_signing_key --version 2, digest_sbv2_public_key, sign_data --version 2,
// verify_signature --version 2, signature_info_v2.
// `digest` and `sign` take the key from a PEM file or from a PKCS#11 token (an HSM).
// See docs/security.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "hsm_key_options.hpp"
#include "service/secure_boot_operations.hpp"

namespace espfab::cli {
namespace {

std::string spaced_hex(ByteView bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) out += fmt::format("{}{:02x}", i == 0 ? "" : " ", bytes[i]);
  return out;
}

void print_json(const nlohmann::json& json) { std::cout << json.dump(2) << "\n"; }

// Exactly one key source: PEM file(s) or the HSM key.
void check_one_key_source(bool pem_given, const HsmKeyOptions& hsm, const char* pem_option) {
  if (pem_given && hsm.given()) {
    throw BadInputError(
        "cli.key_and_hsm", fmt::format("{} and HSM key options given together", pem_option),
        fmt::format("sign with either {} PEM or the key in the token (--pkcs11-module ...), not both", pem_option));
  }
  if (!pem_given && !hsm.given()) {
    throw BadInputError("cli.no_key", "no key given",
                        fmt::format("give {} PEM, or an HSM key: --pkcs11-module PATH --token LABEL --key-label L "
                                    "--pin-env VAR (see --help)",
                                    pem_option));
  }
}

// The signing key in a token instead of a PEM file (docs/security.md, "Signing with an HSM key").
std::optional<pki::Pkcs11KeyConfig> hsm_key_config(const HsmKeyOptions& hsm) {
  if (!hsm.given()) return std::nullopt;
  return hsm.config(
      "an HSM key needs --pkcs11-module PATH --token LABEL (--key-label L | --key-id HEX) (--pin-env VAR | "
      "--pin-file FILE); see docs/security.md, \"Signing with an HSM key\"");
}

void print_hsm_key(const std::string& description) { std::cout << fmt::format("Using {}\n", description); }

struct DigestArgs {
  std::string key;
  HsmKeyOptions hsm;
  std::string output;
};

void run_digest(const DigestArgs& args) {
  check_one_key_source(!args.key.empty(), args.hsm, "KEY");
  const security::KeyDigest digest = service::write_public_key_digest(
      {.key_file = args.key, .hsm = hsm_key_config(args.hsm), .output = args.output, .hsm_key_opened = print_hsm_key});
  std::cout << fmt::format("Public key digest: {}\nWrote 32 bytes to {}\n", spaced_hex(digest), args.output);
}

struct SignArgs {
  std::vector<std::string> keys;
  HsmKeyOptions hsm;
  bool append = false;
  std::string output;
  std::string input;
};

void run_sign(const SignArgs& args) {
  check_one_key_source(!args.keys.empty(), args.hsm, "--key");
  const auto signature = service::sign_image_file({
      .key_files = {args.keys.begin(), args.keys.end()},
      .hsm = hsm_key_config(args.hsm),
      .append = args.append,
      .input = args.input,
      .output = args.output,
      .hsm_key_opened = print_hsm_key,
      .signed_image =
          [](const service::SecureBootSignature& signed_image) {
            for (const auto& note : signed_image.notes) std::cout << note << "\n";
            std::cout << fmt::format("{} signing key(s) found.\n", signed_image.keys);
          },
  });
  std::cout << fmt::format("Signed {} bytes of data from {}. Signature sector now has {} signature blocks.\n",
                           signature.data_size, args.input, signature.total_blocks);
}

struct VerifyArgs {
  std::string key;
  std::string input;
  bool json = false;
};

void run_verify(const VerifyArgs& args) {
  const auto verification = service::verify_image_file(args.key, args.input);
  const security::VerifyResult& result = verification.result;
  if (args.json) {
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& block : result.blocks) {
      nlohmann::json item{{"index", block.index}, {"status", security::to_string(block.status)}};
      if (block.key_digest) item["key_digest"] = to_hex(*block.key_digest);
      blocks.push_back(std::move(item));
    }
    nlohmann::json out{
        {"verified", result.verified}, {"blocks", blocks}, {"key_digest", to_hex(verification.key_digest)}};
    if (result.verified_block) out["verified_block"] = *result.verified_block;
    if (!result.verified) out["reason"] = result.reason;
    print_json(out);
  } else {
    for (const auto& block : result.blocks) {
      std::cout << fmt::format("Signature block {}: {}\n", block.index, security::to_string(block.status));
    }
    if (result.verified) {
      std::cout << fmt::format("Signature block {} verification successful using the supplied key.\n",
                               *result.verified_block);
    } else {
      std::cerr << "error[security.sbv2_not_verified]: " << result.reason << "\n";
    }
  }
  if (!result.verified) throw ExitRequest{kExitCheckFailed};
}

struct InfoArgs {
  std::string input;
  bool json = false;
};

void run_info(const InfoArgs& args) {
  const std::vector<security::SignatureInfo> info = service::read_signature_info(args.input);
  if (args.json) {
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& block : info) {
      blocks.push_back({{"index", block.index}, {"version", block.version}, {"key_digest", to_hex(block.key_digest)}});
    }
    print_json({{"blocks", blocks}});
    return;
  }
  for (const auto& block : info) {
    std::cout << fmt::format("Signature block {} is valid (RSA).\nPublic key digest for block {}: {}\n", block.index,
                             block.index, spaced_hex(block.key_digest));
  }
  if (info.size() < security::kSbv2MaxBlocks) {
    std::cout << fmt::format("Signature block {} absent/invalid. Skipping checking next blocks.\n", info.size());
  }
}

const RegisterGroup kGroup{"secure-boot", "Secure Boot V2 (RSA-3072): key digests, signing, verification"};

struct GenerateKeyArgs {
  std::string output;
  bool json = false;
};

void run_generate_key(const GenerateKeyArgs& args) {
  const auto digest = service::generate_signing_key_file(args.output);
  if (args.json) {
    print_json({{"key_file", args.output}, {"bits", security::kSbv2RsaBits}, {"public_key_digest", to_hex(digest)}});
    return;
  }
  std::cout << fmt::format("Wrote RSA-3072 Secure Boot V2 signing key {} (mode 0600)\nPublic key digest: {}\n",
                           args.output, to_hex(digest));
}

const RegisterCommand kGenerateKey{{
    "secure-boot generate-key",
    "Generate an RSA-3072 Secure Boot V2 signing key PEM (espsecure generate_signing_key --version 2)",
    [](CLI::App& app) {
      auto args = std::make_shared<GenerateKeyArgs>();
      app.add_option("-o,--output", args->output, "key file to create (mode 0600); an existing file is never replaced")
          ->required();
      app.add_flag("--json", args->json, "print {key_file, bits, public_key_digest}");
      app.footer(
          "The key signs the bootloader and the apps; the SHA-256 digest of its public key is burned into a\n"
          "SECURE_BOOT_DIGESTn key block. A chip whose digest is burned boots only what this key signed: keep\n"
          "the file safe and backed up, or better, generate the key inside an HSM and sign through PKCS#11\n"
          "(docs/security.md, \"Signing with an HSM key\"). The PEM is an unencrypted PKCS#8 RSA key that\n"
          "espsecure.py reads too.\n\n"
          "Example:\n"
          "  espfab secure-boot generate-key -o keys/secure_boot_signing.pem\n"
          "  espfab secure-boot digest keys/secure_boot_signing.pem -o keys/secure_boot_digest.bin\n");
      app.callback([args] { run_generate_key(*args); });
    },
}};

const RegisterCommand kDigest{{
    "secure-boot digest",
    "Write the SHA-256 public key digest that goes into a SECURE_BOOT_DIGESTn key block",
    [](CLI::App& app) {
      auto args = std::make_shared<DigestArgs>();
      app.add_option("KEY", args->key, "RSA-3072 key PEM (private or public); or the HSM key options");
      args->hsm.add_to(app, "HSM key", "the signing key");
      app.add_option("-o,--output", args->output, "32-byte digest file (written atomically)")->required();
      app.footer(
          "Same bytes as `espsecure.py digest_sbv2_public_key --keyfile KEY --output OUT`. For a key in a PKCS#11\n"
          "token, give the HSM key options instead of KEY: espfab logs in, checks the key is RSA-3072 and signs a\n"
          "test digest with it, then writes the digest of its public key.\n\n"
          "Examples:\n"
          "  espfab secure-boot digest sbv2_key1.pem -o key1_digest.bin\n"
          "  espfab secure-boot digest --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token sbv2 \\\n"
          "      --key-label sbv2-key --pin-file ~/.config/espfab/sbv2.pin -o key1_digest.bin\n");
      app.callback([args] { run_digest(*args); });
    },
}};

const RegisterCommand kSign{{
    "secure-boot sign",
    "Sign a bootloader or app image with one to three RSA-3072 keys (espsecure sign_data --version 2)",
    [](CLI::App& app) {
      auto args = std::make_shared<SignArgs>();
      app.add_option("--key,--keyfile", args->keys, "RSA-3072 private key PEM; repeat for up to 3 keys")->take_all();
      args->hsm.add_to(app, "HSM key", "the signing key");
      app.add_flag("--append", args->append, "keep the valid signature blocks already in IN and add these");
      app.add_option("-o,--output", args->output, "signed image (written atomically)")->required();
      app.add_option("IN", args->input, "image to sign")->required();
      app.footer(
          "IN is padded with 0xFF to a multiple of 4096 bytes, then one 4096-byte signature sector follows with\n"
          "one 1216-byte RSA-PSS signature block per key. With --append and a sector-aligned IN, the valid\n"
          "blocks of IN's signature sector are kept and the new ones added after them (3 at most).\n\n"
          "The key is either --key PEM (up to 3) or one RSA-3072 key in a PKCS#11 token (an HSM), named by\n"
          "--pkcs11-module, --token, --key-label and/or --key-id, with the user PIN in the variable named by\n"
          "--pin-env or in a mode-0600 file given by --pin-file (never on the command line). The private key\n"
          "stays in the token; each signature is checked with the public key before it is written.\n\n"
          "Examples:\n"
          "  espfab secure-boot sign --key sbv2_key1.pem -o bootloader.signed.bin bootloader.bin\n"
          "  read -rs ESPFAB_HSM_PIN && export ESPFAB_HSM_PIN    # the PIN, not echoed, not in the history\n"
          "  espfab secure-boot sign --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token sbv2 \\\n"
          "      --key-label sbv2-key --pin-env ESPFAB_HSM_PIN -o app.signed.bin app.bin\n");
      app.callback([args] { run_sign(*args); });
    },
}};

const RegisterCommand kVerify{{
    "secure-boot verify",
    "Check a signed image against a public key (espsecure verify_signature --version 2)",
    [](CLI::App& app) {
      auto args = std::make_shared<VerifyArgs>();
      app.add_option("--key,--keyfile", args->key, "RSA-3072 public (or private) key PEM")->required();
      app.add_option("IN", args->input, "signed image")->required();
      app.add_flag("--json", args->json, "print the result as JSON");
      app.footer("Exit code 0: a signature block verifies with the key; 1: none does; 2: not a signed image.\n");
      app.callback([args] { run_verify(*args); });
    },
}};

const RegisterCommand kInfo{{
    "secure-boot info",
    "List the valid signature blocks of a signed image and their key digests (espsecure signature_info_v2)",
    [](CLI::App& app) {
      auto args = std::make_shared<InfoArgs>();
      app.add_option("IN", args->input, "signed image")->required();
      app.add_flag("--json", args->json, "print the blocks as JSON");
      app.callback([args] { run_info(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
