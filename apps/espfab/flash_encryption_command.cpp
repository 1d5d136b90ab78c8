// `espfab flash-encryption encrypt|decrypt --key K --address A -o OUT IN` and `generate-key`:
// host-side ESP32-S3 flash encryption, byte-identical to `espsecure.py encrypt_flash_data
// --aes_xts` / `decrypt_flash_data --aes_xts`. See docs/security.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "service/flash_encryption_operations.hpp"

namespace espfab::cli {
namespace {

struct CryptArgs {
  std::string key;
  std::string address;
  std::string output;
  std::string input;
};

void run_crypt(const CryptArgs& args, bool encrypt) {
  const std::uint32_t address = parse_u32(args.address, "--address");
  const auto result = service::crypt_flash_file(
      {.direction = encrypt ? service::FlashCryptDirection::Encrypt : service::FlashCryptDirection::Decrypt,
       .key_file = args.key,
       .address = address,
       .input = args.input,
       .output = args.output});
  std::cout << fmt::format("{} {} bytes at flash address 0x{:x} with an XTS-AES-{} key; wrote {}\n",
                           encrypt ? "Encrypted" : "Decrypted", result.size, address,
                           result.key_length == security::XtsKeyLength::Aes128 ? 128 : 256, args.output);
}

void configure_crypt(CLI::App& app, bool encrypt) {
  auto args = std::make_shared<CryptArgs>();
  app.add_option("--key,--keyfile", args->key, "key file: 32 bytes (XTS-AES-128) or 64 bytes (XTS-AES-256)")
      ->required();
  app.add_option("--address", args->address, "flash address the data lives at (multiple of 16)")->required();
  app.add_option("-o,--output", args->output, "output file (written atomically)")->required();
  app.add_option("IN", args->input, encrypt ? "plaintext file" : "ciphertext file")->required();
  app.footer(
      "The key file is in espsecure's byte order (data key, then tweak key); the eFuse key block holds each\n"
      "32-byte half reversed. The ciphertext depends on the flash address: encrypt each image at exactly the\n"
      "offset it will be written to. Address and length must be multiples of 16.\n\n"
      "Example:\n"
      "  espfab flash-encryption encrypt --key fe_key.bin --address 0x10000 -o app.enc.bin app.bin\n");
  app.callback([args, encrypt] { run_crypt(*args, encrypt); });
}

struct GenerateArgs {
  unsigned keylen = 256;
  std::string output;
};

void run_generate(const GenerateArgs& args) {
  if (args.keylen != 256 && args.keylen != 512) {
    throw BadInputError("cli.fe_keylen", fmt::format("--keylen {} is not supported", args.keylen),
                        "use 256 (XTS-AES-128) or 512 (XTS-AES-256)");
  }
  service::generate_flash_encryption_key_file(
      args.keylen == 256 ? security::XtsKeyLength::Aes128 : security::XtsKeyLength::Aes256, args.output);
  std::cout << fmt::format("Wrote a {}-bit flash encryption key to {} (mode 0600)\n", args.keylen, args.output);
}

const RegisterGroup kGroup{"flash-encryption", "Host-side ESP32-S3 flash encryption (XTS-AES, like espsecure)"};

const RegisterCommand kEncrypt{{
    "flash-encryption encrypt",
    "Encrypt data for a flash address with a device key (espsecure encrypt_flash_data --aes_xts)",
    [](CLI::App& app) { configure_crypt(app, true); },
}};

const RegisterCommand kDecrypt{{
    "flash-encryption decrypt",
    "Decrypt data read from a flash address with a device key (espsecure decrypt_flash_data --aes_xts)",
    [](CLI::App& app) { configure_crypt(app, false); },
}};

const RegisterCommand kGenerateKey{{
    "flash-encryption generate-key",
    "Write a random flash encryption key file (espsecure generate_flash_encryption_key)",
    [](CLI::App& app) {
      auto args = std::make_shared<GenerateArgs>();
      app.add_option("--keylen", args->keylen, "256 (XTS-AES-128) or 512 (XTS-AES-256)")->capture_default_str();
      app.add_option("OUT", args->output, "key file to write (mode 0600)")->required();
      app.footer(
          "For tests and development. In production each device gets its own key, generated in memory\n"
          "and never written to the station disk.\n");
      app.callback([args] { run_generate(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli
