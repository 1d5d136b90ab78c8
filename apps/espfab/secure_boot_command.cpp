// `espfab secure-boot digest|sign|verify|info`: Secure Boot V2 (RSA-3072) like espsecure.py
// digest_sbv2_public_key, sign_data --version 2, verify_signature --version 2, signature_info_v2.
// See docs/security.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "security/secure_boot_v2.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

std::string spaced_hex(ByteView bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) out += fmt::format("{}{:02x}", i == 0 ? "" : " ", bytes[i]);
  return out;
}

void print_json(const nlohmann::json& json) { std::cout << json.dump(2) << "\n"; }

struct DigestArgs {
  std::string key;
  std::string output;
};

void run_digest(const DigestArgs& args) {
  const auto key = security::load_sbv2_key_file(args.key, false);
  const auto digest = security::sbv2_public_key(key.get()).digest();
  write_file_atomic(args.output, digest);
  std::cout << fmt::format("Public key digest: {}\nWrote 32 bytes to {}\n", spaced_hex(digest), args.output);
}

struct SignArgs {
  std::vector<std::string> keys;
  bool append = false;
  std::string output;
  std::string input;
};

void run_sign(const SignArgs& args) {
  std::vector<std::unique_ptr<security::PemSigningKey>> owned;
  std::vector<const security::SigningKey*> keys;
  for (const auto& path : args.keys) {
    owned.push_back(security::PemSigningKey::from_file(path));
    keys.push_back(owned.back().get());
  }
  const Bytes input = read_file(args.input);
  security::SignResult result;
  try {
    result = security::sign_image(input, keys, {.append = args.append});
  } catch (Error& error) {
    error.with_context("signing " + args.input);
    throw;
  }
  for (const auto& note : result.notes) std::cout << note << "\n";
  std::cout << fmt::format("{} signing key(s) found.\n", keys.size());
  write_file_atomic(args.output, result.image);
  std::cout << fmt::format("Signed {} bytes of data from {}. Signature sector now has {} signature blocks.\n",
                           result.data_size, args.input, result.total_blocks);
}

struct VerifyArgs {
  std::string key;
  std::string input;
  bool json = false;
};

void run_verify(const VerifyArgs& args) {
  const auto key = security::load_sbv2_key_file(args.key, false);
  const auto public_key = security::sbv2_public_key(key.get());
  const Bytes image = read_file(args.input);
  security::VerifyResult result;
  try {
    result = security::verify_with_key(image, public_key);
  } catch (Error& error) {
    error.with_context("verifying " + args.input);
    throw;
  }
  if (args.json) {
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& block : result.blocks) {
      nlohmann::json item{{"index", block.index}, {"status", security::to_string(block.status)}};
      if (block.key_digest) item["key_digest"] = to_hex(*block.key_digest);
      blocks.push_back(std::move(item));
    }
    nlohmann::json out{{"verified", result.verified}, {"blocks", blocks}, {"key_digest", to_hex(public_key.digest())}};
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
  const Bytes image = read_file(args.input);
  std::vector<security::SignatureInfo> info;
  try {
    info = security::signature_info(image);
  } catch (Error& error) {
    error.with_context("reading the signature sector of " + args.input);
    throw;
  }
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

const RegisterGroup group{"secure-boot", "Secure Boot V2 (RSA-3072): key digests, signing, verification"};

const RegisterCommand digest_command{{
    "secure-boot digest",
    "Write the SHA-256 public key digest that goes into a SECURE_BOOT_DIGESTn key block",
    [](CLI::App& app) {
      auto args = std::make_shared<DigestArgs>();
      app.add_option("KEY", args->key, "RSA-3072 key PEM (private or public)")->required();
      app.add_option("-o,--output", args->output, "32-byte digest file (written atomically)")->required();
      app.footer("Same bytes as `espsecure.py digest_sbv2_public_key --keyfile KEY --output OUT`.\n");
      app.callback([args] { run_digest(*args); });
    },
}};

const RegisterCommand sign_command{{
    "secure-boot sign",
    "Sign a bootloader or app image with one to three RSA-3072 keys (espsecure sign_data --version 2)",
    [](CLI::App& app) {
      auto args = std::make_shared<SignArgs>();
      app.add_option("--key,--keyfile", args->keys, "RSA-3072 private key PEM; repeat for up to 3 keys")
          ->required()
          ->take_all();
      app.add_flag("--append", args->append, "keep the valid signature blocks already in IN and add these");
      app.add_option("-o,--output", args->output, "signed image (written atomically)")->required();
      app.add_option("IN", args->input, "image to sign")->required();
      app.footer(
          "IN is padded with 0xFF to a multiple of 4096 bytes, then one 4096-byte signature sector follows with\n"
          "one 1216-byte RSA-PSS signature block per key. With --append and a sector-aligned IN, the valid\n"
          "blocks of IN's signature sector are kept and the new ones added after them (3 at most).\n\n"
          "Example:\n"
          "  espfab secure-boot sign --key sbv2_key1.pem -o bootloader.signed.bin bootloader.bin\n");
      app.callback([args] { run_sign(*args); });
    },
}};

const RegisterCommand verify_command{{
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

const RegisterCommand info_command{{
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
