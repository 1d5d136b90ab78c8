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
#include "security/efuse_burner.hpp"
#include "security/flash_encryption.hpp"
#include "security/key_purpose.hpp"
#include "security/loader_efuse_registers.hpp"
#include "security/sbv2_key.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

namespace efuse = chip::esp32s3_efuse;

struct BurnArgs {
  std::shared_ptr<ConnectionOptions> connection;
  std::string flash_encryption = "off";
  std::string fe_key_file;
  std::optional<unsigned> fe_key_block;
  bool fe_development = false;
  std::vector<std::string> secure_boot_keys;
  bool aggressive_revoke = false;
  bool keep_unused_digest_slots = false;
  bool keep_jtag = false;
  bool usb_only = false;
  std::string final_lock = "secure-download";
  bool include_final_lock = false;
  std::string bootloader;
  std::string app;
  bool confirm = false;
};

struct Inputs {
  security::SecurityProfile profile;
  std::optional<security::FlashEncryptionKey> key;
  Bytes bootloader;
  Bytes app;
  std::vector<security::PlanImage> images() const {
    std::vector<security::PlanImage> list;
    if (!bootloader.empty()) list.push_back({"bootloader", bootloader});
    if (!app.empty()) list.push_back({"app", app});
    return list;
  }
};

// Everything from files and options, checked before the device is touched.
Inputs read_inputs(const BurnArgs& args) {
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
  p.disable_jtag = !args.keep_jtag;
  p.usb_is_only_port = args.usb_only;
  p.final_lock = args.final_lock == "disable-download" ? security::SecurityProfile::FinalLock::DisableDownload
                 : args.final_lock == "none"           ? security::SecurityProfile::FinalLock::None
                                                       : security::SecurityProfile::FinalLock::SecureDownload;
  if (!args.bootloader.empty()) in.bootloader = read_file(args.bootloader);
  if (!args.app.empty()) in.app = read_file(args.app);
  return in;
}

std::string key_block_text(const security::KeyBlockWrite& write) {
  const std::string source = write.source == security::KeySource::DeviceFlashEncryptionKey
                                 ? fmt::format("device flash-encryption key, half {} (never shown)", write.key_half)
                                 : fmt::format("public key digest {:02x}", fmt::join(write.digest, ""));
  return fmt::format("{} purpose {}{}{}: {}", efuse::kBlocks[efuse::kBlockKey0 + write.key_block].name,
                     security::key_purpose_name(static_cast<std::uint32_t>(write.purpose)),
                     write.read_protect ? ", read-protected" : "", write.write_protect ? ", write-protected" : "",
                     source);
}

nlohmann::json plan_json(const security::BurnPlan& plan) {
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& batch : plan.batches) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& write : batch.key_blocks) keys.push_back(key_block_text(write));
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& write : batch.fields) {
      fields.push_back({{"field", write.field}, {"value", write.value}, {"why", write.why}});
    }
    batches.push_back({{"name", batch.name},
                       {"key_blocks", keys},
                       {"fields", fields},
                       {"after_boot_verified", batch.after_boot_verified}});
  }
  return {{"batches", batches}, {"already_done", plan.skipped}};
}

void print_plan(const security::BurnPlan& plan) {
  std::cout << "eFuse burn plan (irreversible; in this order):\n";
  unsigned n = 0;
  for (const auto& batch : plan.batches) {
    std::cout << fmt::format("{}. {}{}\n", ++n, batch.name,
                             batch.after_boot_verified ? "  [only after the boot is verified]" : "");
    for (const auto& write : batch.key_blocks) std::cout << "     " << key_block_text(write) << "\n";
    for (const auto& write : batch.fields) {
      std::cout << fmt::format("     {:<32} = 0x{:x}  ({})\n", write.field, write.value, write.why);
    }
  }
  for (const auto& done : plan.skipped) std::cout << "   already done: " << done << "\n";
  if (plan.empty()) std::cout << "   nothing to burn: the device already has every planned eFuse\n";
}

const char* outcome_text(security::BurnStep::Outcome outcome) {
  switch (outcome) {
    case security::BurnStep::Outcome::Burned: return "burned and verified";
    case security::BurnStep::Outcome::AlreadyDone: return "already done";
    case security::BurnStep::Outcome::Unverifiable: return "burned; not verifiable (download mode locked)";
  }
  return "";
}

void run_burn(const BurnArgs& args) {
  Inputs in = read_inputs(args);
  Device device(*args.connection);
  security::LoaderEfuseRegisters registers(device.session().client());
  const security::EfuseImage before = security::read_efuses(registers);
  const auto images = in.images();
  const security::BurnPlan plan = security::plan_burn(in.profile, before, images);
  const bool json = args.connection->json;
  if (!json) print_plan(plan);
  if (!args.confirm) {
    if (json) {
      print_json({{"plan", plan_json(plan)}, {"burned", false}});
    } else {
      std::cout << "\nDry run: nothing burned. Review the plan, then add --confirm to burn it.\n";
    }
    return;
  }
  security::EfuseBurner burner(registers);
  nlohmann::json steps = nlohmann::json::array();
  const auto report = burner.execute(
      plan, before, in.key ? &*in.key : nullptr, security::BurnOptions{.boot_verified = args.include_final_lock},
      [&](const security::BurnStep& step, bool finished) {
        if (!finished) {
          if (!json) std::cerr << fmt::format("burning {} ({})...\n", efuse::kBlocks[step.block].name, step.batch);
          return;
        }
        if (!json) {
          std::cout << fmt::format("  {:<16} {:<24} {}\n", efuse::kBlocks[step.block].name, step.batch,
                                   outcome_text(step.outcome));
        }
        steps.push_back({{"batch", step.batch},
                         {"block", efuse::kBlocks[step.block].name},
                         {"outcome", outcome_text(step.outcome)},
                         {"attempts", step.attempts},
                         {"fields", step.fields}});
      });
  const bool held_back = !args.include_final_lock && std::any_of(plan.batches.begin(), plan.batches.end(),
                                                                 [](const auto& b) { return b.after_boot_verified; });
  if (json) {
    print_json({{"plan", plan_json(plan)},
                {"burned", report.burned_anything()},
                {"steps", steps},
                {"final_lock_held_back", held_back}});
  } else if (held_back) {
    std::cout << "The final lock was held back: flash and boot the signed firmware, check the boot, then run\n"
                 "the same command with --include-final-lock.\n";
  }
  device.finish();
}

const RegisterCommand burn_command{{
    "efuse burn",
    "Plan, show and (with --confirm) burn the security eFuses: flash encryption, Secure Boot V2, JTAG, lock",
    [](CLI::App& app) {
      auto args = std::make_shared<BurnArgs>();
      args->connection = add_connection_options(app);
      app.add_option("--flash-encryption", args->flash_encryption, "off, xts-128 or xts-256")
          ->check(CLI::IsMember({"off", "xts-128", "xts-256"}))
          ->capture_default_str();
      app.add_option("--fe-key", args->fe_key_file,
                     "flash-encryption key file (32 or 64 bytes); default: a new random key that only the chip "
                     "keeps");
      app.add_option("--fe-key-block", args->fe_key_block, "BLOCK_KEYn for the XTS key (0-4); default: first free")
          ->check(CLI::Range(0u, 4u));
      app.add_flag("--fe-development", args->fe_development,
                   "SPI_BOOT_CRYPT_CNT = 1 (development: re-flashable in plaintext) instead of 7 (release)");
      app.add_option("--secure-boot-key", args->secure_boot_keys,
                     "RSA-3072 PEM (public or private) whose digest goes into SECURE_BOOT_DIGESTn; up to 3")
          ->check(CLI::ExistingFile);
      app.add_option("--bootloader", args->bootloader, "the signed bootloader that will be flashed (checked)")
          ->check(CLI::ExistingFile);
      app.add_option("--app", args->app, "the signed app that will be flashed (checked)")->check(CLI::ExistingFile);
      app.add_flag("--aggressive-revoke", args->aggressive_revoke, "burn SECURE_BOOT_AGGRESSIVE_REVOKE");
      app.add_flag("--keep-unused-digest-slots", args->keep_unused_digest_slots,
                   "do not revoke the digest slots left empty");
      app.add_flag("--keep-jtag", args->keep_jtag, "leave JTAG enabled (default: pad, USB and soft JTAG off)");
      app.add_flag("--usb-only", args->usb_only,
                   "the product's only port is USB: refuse anything that would cut USB or download mode");
      app.add_option("--final-lock", args->final_lock, "secure-download, disable-download or none")
          ->check(CLI::IsMember({"secure-download", "disable-download", "none"}))
          ->capture_default_str();
      app.add_flag("--include-final-lock", args->include_final_lock,
                   "also burn the final lock (only once the device has booted its signed, encrypted firmware)");
      app.add_flag("--confirm", args->confirm, "burn (irreversible); without it the command only shows the plan");
      app.footer(
          "Always a dry run first: the plan lists every eFuse in the order it will be burned, with the reason.\n"
          "Refusals (exit 6) name the rule and the fix: XTS key in BLOCK_KEY5, Secure Boot before flash\n"
          "encryption, a key block already taken, images not signed by a burned digest, USB cut on a USB-only\n"
          "product, ... A second run of the same command burns only what is missing.\n"
          "Example:\n"
          "  espfab efuse burn --port rfc2217://fixture1:4000 --flash-encryption xts-128 \\\n"
          "      --secure-boot-key sb_key.pem --bootloader bootloader-signed.bin --app app-signed.bin --confirm\n");
      app.callback([args] { run_device_command(*args->connection, [&] { run_burn(*args); }); });
    },
}};

}  // namespace
}  // namespace espfab::cli
