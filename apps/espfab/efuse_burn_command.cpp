// `espfab efuse burn --port URL [security options] [--confirm]`: reads the device's eFuses, plans
// the security burns in Espressif's order (flash encryption, then Secure Boot V2, then the final
// lock) with every refusal rule of the planner, shows the plan, and — only with --confirm — burns
// it block by block, verifying each. Without --confirm it is a dry run. See docs/security.md.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chip/esp32s3_efuse.hpp"
#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "security/burn_plan.hpp"
#include "security/burn_plan_file.hpp"
#include "security/efuse_burner.hpp"
#include "security/flash_encryption.hpp"
#include "security/key_purpose.hpp"
#include "security/sbv2_key.hpp"
#include "security/security_profile_file.hpp"
#include "util/file_io.hpp"

#include "efuse_burn_job.hpp"

namespace espfab::cli {
namespace {

struct BurnArgs {
  std::string profile_file;
  std::string flash_encryption = "off";
  std::string fe_key_file;
  std::optional<unsigned> fe_key_block;
  bool fe_development = false;
  std::vector<std::string> secure_boot_keys;
  bool aggressive_revoke = false;
  bool keep_unused_digest_slots = false;
  bool keep_jtag = false;
  bool usb_only = false;
  std::string final_lock = "auto";
  bool disable_jtag = false;
  std::string bootloader;
  std::string app;
  bool confirm = false;
};

// Everything from files and options, checked before the device is touched.
Inputs read_profile_inputs(const BurnArgs& args) {
  if (args.flash_encryption != "off" || !args.secure_boot_keys.empty() || args.fe_key_block || args.keep_jtag ||
      args.disable_jtag || args.final_lock != "auto") {
    throw BadInputError("cli.profile_and_options", "--profile and security options given together",
                        "put the security settings in the profile's [security] section, or leave out --profile");
  }
  auto file = security::load_security_profile(args.profile_file);
  Inputs in;
  in.profile = std::move(file.profile);
  if (in.profile.flash_encryption) {
    if (args.fe_key_file.empty()) {
      in.key = security::FlashEncryptionKey::generate(*in.profile.flash_encryption);
    } else {
      in.key.emplace(SecretBytes(read_file(args.fe_key_file)));
    }
  }
  const std::string bootloader =
      args.bootloader.empty() && file.bootloader ? file.bootloader->string() : args.bootloader;
  const std::string app = args.app.empty() && file.app ? file.app->string() : args.app;
  if (!bootloader.empty()) in.bootloader = read_file(bootloader);
  if (!app.empty()) in.app = read_file(app);
  return in;
}

Inputs read_inputs(const BurnArgs& args) {
  if (!args.profile_file.empty()) return read_profile_inputs(args);
  Inputs in;
  auto& p = in.profile;
  if (args.flash_encryption == "xts-128" || args.flash_encryption == "xts-256") {
    const auto length =
        args.flash_encryption == "xts-128" ? security::XtsKeyLength::Aes128 : security::XtsKeyLength::Aes256;
    p.flash_encryption = length;
    if (args.fe_key_file.empty()) {
      in.key = security::FlashEncryptionKey::generate(length);  // lives in memory only
    } else {
      in.key.emplace(SecretBytes(read_file(args.fe_key_file)));
      if (in.key->length() != length) {
        throw BadInputError("cli.fe_key_length",
                            fmt::format("{} does not hold a key for {}", args.fe_key_file, args.flash_encryption),
                            "XTS-AES-128 needs a 32-byte key file, XTS-AES-256 a 64-byte one");
      }
    }
  } else if (!args.fe_key_file.empty()) {
    throw BadInputError("cli.fe_key_without_fe", "--fe-key given but flash encryption is off",
                        "add --flash-encryption xts-128 (or xts-256)");
  }
  p.flash_encryption_release = !args.fe_development;
  p.flash_encryption_key_block = args.fe_key_block;
  for (const auto& path : args.secure_boot_keys) {
    const auto key = security::load_sbv2_key_file(path, false);
    p.secure_boot_digests.push_back(security::sbv2_public_key(key.get()).digest());
  }
  p.secure_boot_aggressive_revoke = args.aggressive_revoke;
  p.revoke_unused_digest_slots = !args.keep_unused_digest_slots;
  // JTAG off and the final lock belong to a lock-down (flash encryption or Secure Boot); burning a
  // single field does not bring them along unless asked.
  const bool lockdown = p.flash_encryption || !p.secure_boot_digests.empty();
  p.disable_jtag = args.disable_jtag || (lockdown && !args.keep_jtag);
  p.usb_is_only_port = args.usb_only;
  const std::string lock = args.final_lock == "auto" ? (lockdown ? "secure-download" : "none") : args.final_lock;
  p.final_lock = lock == "disable-download" ? security::SecurityProfile::FinalLock::DisableDownload
                 : lock == "none"           ? security::SecurityProfile::FinalLock::None
                                            : security::SecurityProfile::FinalLock::SecureDownload;
  if (!args.bootloader.empty()) in.bootloader = read_file(args.bootloader);
  if (!args.app.empty()) in.app = read_file(args.app);
  return in;
}

std::uint64_t parse_u64(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    const auto value = std::stoull(text, &used, 0);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw BadInputError("cli.bad_number", fmt::format("{}: '{}' is not a number", what, text),
                      "give a decimal or 0x-prefixed hex value");
}

// Positional FIELD VALUE pairs of `efuse burn` (espefuse burn_efuse).
void add_field_pairs(security::SecurityProfile& profile, const std::vector<std::string>& pairs) {
  if (pairs.size() % 2 != 0) {
    throw BadInputError("cli.efuse_field_pairs", "fields come in pairs: FIELD VALUE [FIELD VALUE ...]",
                        "for example: espfab efuse burn --port URL DIS_USB_JTAG 1 --confirm");
  }
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    profile.extra_fields.emplace_back(pairs[i], parse_u64(pairs[i + 1], pairs[i]));
  }
}

void add_security_options(CLI::App& app, BurnArgs& args) {
  app.add_option("--profile", args.profile_file,
                 "station profile (TOML): its [security] and [images] sections instead of the options below")
      ->check(CLI::ExistingFile);
  app.add_option("--flash-encryption", args.flash_encryption, "off, xts-128 or xts-256")
      ->check(CLI::IsMember({"off", "xts-128", "xts-256"}))
      ->capture_default_str();
  app.add_option("--fe-key", args.fe_key_file,
                 "flash-encryption key file (32 or 64 bytes); default: a new random key that only the chip keeps");
  app.add_option("--fe-key-block", args.fe_key_block, "BLOCK_KEYn for the XTS key (0-4); default: first free")
      ->check(CLI::Range(0u, 4u));
  app.add_flag("--fe-development", args.fe_development,
               "SPI_BOOT_CRYPT_CNT = 1 (development: re-flashable in plaintext) instead of 7 (release)");
  app.add_option("--secure-boot-key", args.secure_boot_keys,
                 "RSA-3072 PEM (public or private) whose digest goes into SECURE_BOOT_DIGESTn; up to 3")
      ->check(CLI::ExistingFile);
  app.add_option("--bootloader", args.bootloader, "the signed bootloader that will be flashed (checked)")
      ->check(CLI::ExistingFile);
  app.add_option("--app", args.app, "the signed app that will be flashed (checked)")->check(CLI::ExistingFile);
  app.add_flag("--aggressive-revoke", args.aggressive_revoke, "burn SECURE_BOOT_AGGRESSIVE_REVOKE");
  app.add_flag("--keep-unused-digest-slots", args.keep_unused_digest_slots,
               "do not revoke the digest slots left empty");
  app.add_flag("--keep-jtag", args.keep_jtag, "leave JTAG enabled in a lock-down (default there: all JTAG off)");
  app.add_flag("--disable-jtag", args.disable_jtag, "turn pad, USB and soft JTAG off (implied by a lock-down)");
  app.add_flag("--usb-only", args.usb_only,
               "the product's only port is USB: refuse anything that would cut USB or download mode");
  app.add_option("--final-lock", args.final_lock,
                 "secure-download, disable-download or none; auto = secure-download in a lock-down, else none")
      ->check(CLI::IsMember({"auto", "secure-download", "disable-download", "none"}))
      ->capture_default_str();
}

struct FullArgs {
  std::shared_ptr<ConnectionOptions> connection;
  BurnArgs security;
  std::vector<std::string> field_pairs;
  std::string plan_file;
  std::string out;
  bool include_final_lock = false;
};

const RegisterCommand kBurnCommand{{
    "efuse burn",
    "Plan, show and (with --confirm) burn eFuses: flash encryption, Secure Boot V2, JTAG, lock, fields",
    [](CLI::App& app) {
      auto args = std::make_shared<FullArgs>();
      args->connection = add_connection_options(app);
      add_security_options(app, args->security);
      app.add_option("fields", args->field_pairs, "FIELD VALUE pairs to burn as well (espefuse burn_efuse)");
      app.add_option("--plan", args->plan_file, "burn this plan file (espfab efuse plan --out) instead of planning")
          ->check(CLI::ExistingFile);
      app.add_flag("--include-final-lock", args->include_final_lock,
                   "also burn the final lock (only once the device has booted its signed, encrypted firmware)");
      add_confirm(app, args->security.confirm);
      app.footer(
          std::string(kRefusalFooter) +
          "Example:\n"
          "  espfab efuse burn --port rfc2217://fixture1:4000 --flash-encryption xts-128 \\\n"
          "      --secure-boot-key sb_key.pem --bootloader bootloader-signed.bin --app app-signed.bin --confirm\n");
      app.callback([args] {
        BurnJob job;
        if (!args->plan_file.empty()) {
          job.plan_file = security::load_plan_file(args->plan_file);
        } else {
          job.inputs = read_inputs(args->security);
          add_field_pairs(job.inputs.profile, args->field_pairs);
        }
        job.confirm = args->security.confirm;
        job.include_final_lock = args->include_final_lock;
        run_job(*args->connection, job);
      });
    },
}};

const RegisterCommand kPlanCommand{{
    "efuse plan",
    "Show the eFuse burn plan for a device (and write it with --out for `efuse burn --plan`); burns nothing",
    [](CLI::App& app) {
      auto args = std::make_shared<FullArgs>();
      args->connection = add_connection_options(app);
      add_security_options(app, args->security);
      app.add_option("fields", args->field_pairs, "FIELD VALUE pairs to burn as well");
      app.add_option("-o,--out", args->out, "write the plan (with the eFuses it was made from; no key bytes)");
      app.footer(kRefusalFooter);
      app.callback([args] {
        BurnJob job;
        job.inputs = read_inputs(args->security);
        add_field_pairs(job.inputs.profile, args->field_pairs);
        job.plan_out = args->out;
        run_job(*args->connection, job);
      });
    },
}};

}  // namespace
}  // namespace espfab::cli
