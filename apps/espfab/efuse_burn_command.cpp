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
#include "security/security_profile_file.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

namespace efuse = chip::esp32s3_efuse;

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

struct Inputs {
  security::SecurityProfile profile;
  std::optional<security::FlashEncryptionKey> key;
  std::vector<SecretBytes> secret_keys;  // KeySource::SecretKey writes (burn-key with HMAC purposes)
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

std::string key_block_text(const security::KeyBlockWrite& write) {
  const std::string source = write.source == security::KeySource::DeviceFlashEncryptionKey
                                 ? fmt::format("device flash-encryption key, half {} (never shown)", write.key_half)
                             : write.source == security::KeySource::SecretKey
                                 ? std::string("key from the given file (never shown)")
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

security::KeyPurpose parse_purpose(const std::string& text) {
  const auto info = security::key_purpose_by_name(text);
  if (!info) {
    throw BadInputError("cli.bad_key_purpose", fmt::format("'{}' is not a key purpose", text),
                        "use espefuse's names: XTS_AES_128_KEY, XTS_AES_256_KEY_1, SECURE_BOOT_DIGEST0, ...");
  }
  return info->purpose;
}

// A plan file (`efuse plan --out`): the plan and the eFuses it was made from, never key bytes.
struct PlanFile {
  security::BurnPlan plan;
  security::EfuseImage planned_from;
};

constexpr const char* kPlanFormat = "espfab-efuse-plan/1";

nlohmann::json plan_file_json(const security::BurnPlan& plan, const security::EfuseImage& from) {
  nlohmann::json batches = nlohmann::json::array();
  for (const auto& batch : plan.batches) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& write : batch.key_blocks) {
      if (write.source == security::KeySource::SecretKey) {
        throw BadInputError("cli.plan_with_secret_key", "a plan file cannot carry a secret key",
                            "burn keys from files with `espfab efuse burn-key` directly");
      }
      keys.push_back(
          {{"key_block", write.key_block},
           {"purpose", security::key_purpose_name(static_cast<std::uint32_t>(write.purpose))},
           {"source", write.source == security::KeySource::DeviceFlashEncryptionKey ? "device_flash_encryption_key"
                                                                                    : "public_digest"},
           {"key_half", write.key_half},
           {"digest", fmt::format("{:02x}", fmt::join(write.digest, ""))},
           {"read_protect", write.read_protect},
           {"write_protect", write.write_protect}});
    }
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& write : batch.fields) {
      fields.push_back({{"field", write.field}, {"value", write.value}, {"why", write.why}});
    }
    batches.push_back({{"name", batch.name},
                       {"after_boot_verified", batch.after_boot_verified},
                       {"key_blocks", keys},
                       {"fields", fields}});
  }
  nlohmann::json blocks = nlohmann::json::array();
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) blocks.push_back(from.block(b));
  return {{"format", kPlanFormat},
          {"chip", "ESP32-S3"},
          {"planned_from", blocks},
          {"batches", batches},
          {"already_done", plan.skipped}};
}

Bytes parse_hex(const std::string& hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

PlanFile load_plan_file(const std::string& path) {
  PlanFile file;
  try {
    const auto json = nlohmann::json::parse(read_text_file(path));
    if (json.at("format") != kPlanFormat || json.at("chip") != "ESP32-S3") {
      throw BadInputError("cli.plan_format", path + " is not an espfab ESP32-S3 eFuse plan",
                          "make one with `espfab efuse plan --port URL ... --out PLAN.json`");
    }
    const auto& blocks = json.at("planned_from");
    for (unsigned b = 0; b < efuse::kBlockCount; ++b)
      file.planned_from.block(b) = blocks.at(b).get<security::BlockWords>();
    for (const auto& batch_json : json.at("batches")) {
      security::BurnBatch batch;
      batch.name = batch_json.at("name").get<std::string>();
      batch.after_boot_verified = batch_json.at("after_boot_verified").get<bool>();
      for (const auto& k : batch_json.at("key_blocks")) {
        security::KeyBlockWrite write;
        write.key_block = k.at("key_block").get<unsigned>();
        write.purpose = parse_purpose(k.at("purpose").get<std::string>());
        write.source = k.at("source") == "device_flash_encryption_key" ? security::KeySource::DeviceFlashEncryptionKey
                                                                       : security::KeySource::PublicDigest;
        write.key_half = k.at("key_half").get<unsigned>();
        write.digest = parse_hex(k.at("digest").get<std::string>());
        write.read_protect = k.at("read_protect").get<bool>();
        write.write_protect = k.at("write_protect").get<bool>();
        batch.key_blocks.push_back(std::move(write));
      }
      for (const auto& f : batch_json.at("fields")) {
        batch.fields.push_back(
            {f.at("field").get<std::string>(), f.at("value").get<std::uint64_t>(), f.at("why").get<std::string>()});
      }
      file.plan.batches.push_back(std::move(batch));
    }
    file.plan.skipped = json.at("already_done").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw BadInputError("cli.plan_format", fmt::format("{} is not a valid eFuse plan: {}", path, e.what()),
                        "make one with `espfab efuse plan --port URL ... --out PLAN.json`");
  }
  return file;
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

// What a burn command executes: a plan made now from a profile, or a plan file.
struct BurnJob {
  Inputs inputs;
  std::optional<PlanFile> plan_file;
  bool confirm = false;
  bool include_final_lock = false;
  std::string out;  // `efuse plan --out`: write the plan file
};

std::optional<security::FlashEncryptionKey> key_for_plan_file(const security::BurnPlan& plan) {
  unsigned halves = 0;
  for (const auto& batch : plan.batches)
    for (const auto& write : batch.key_blocks)
      if (write.source == security::KeySource::DeviceFlashEncryptionKey) halves = std::max(halves, write.key_half + 1);
  if (halves == 0) return std::nullopt;
  // Generated now, in memory: a plan file never holds key bytes.
  return security::FlashEncryptionKey::generate(halves == 2 ? security::XtsKeyLength::Aes256
                                                            : security::XtsKeyLength::Aes128);
}

void run_job(const ConnectionOptions& connection, BurnJob& job) {
  Device device(connection);
  security::LoaderEfuseRegisters registers(device.session().client());
  const security::EfuseImage now = security::read_efuses(registers);
  security::EfuseImage before = now;
  security::BurnPlan plan;
  std::optional<security::FlashEncryptionKey> key;
  if (job.plan_file) {
    plan = job.plan_file->plan;
    before = job.plan_file->planned_from;
    key = key_for_plan_file(plan);
  } else {
    const auto images = job.inputs.images();
    plan = security::plan_burn(job.inputs.profile, now, images);
    key = std::move(job.inputs.key);
  }
  const bool json = connection.json;
  if (!job.out.empty()) {
    write_text_file_atomic(job.out, plan_file_json(plan, before).dump(2) + "\n");
  }
  if (!json) print_plan(plan);
  if (!job.confirm) {
    if (json) {
      print_json({{"plan", plan_json(plan)}, {"burned", false}});
    } else if (!job.out.empty()) {
      std::cout << "\nPlan written to " << job.out << " (no key bytes in it). Nothing burned.\n";
    } else {
      std::cout << "\nDry run: nothing burned. Review the plan, then add --confirm to burn it.\n";
    }
    device.finish();
    return;
  }
  security::EfuseBurner burner(registers);
  nlohmann::json steps = nlohmann::json::array();
  const auto report = burner.execute(
      plan, before, key ? &*key : nullptr, security::BurnOptions{.boot_verified = job.include_final_lock},
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
      },
      job.inputs.secret_keys);
  const bool held_back = !job.include_final_lock && std::any_of(plan.batches.begin(), plan.batches.end(),
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

// A profile that burns only what a direct command asks for.
security::SecurityProfile bare_profile() {
  security::SecurityProfile profile;
  profile.disable_jtag = false;
  profile.final_lock = security::SecurityProfile::FinalLock::None;
  return profile;
}

unsigned parse_key_block(const std::string& text) {
  std::string digits = text;
  if (digits.rfind("BLOCK_KEY", 0) == 0) digits = digits.substr(9);
  if (digits.size() == 1 && digits[0] >= '0' && digits[0] <= '5') return static_cast<unsigned>(digits[0] - '0');
  throw BadInputError("cli.bad_key_block", fmt::format("'{}' is not a key block", text),
                      "use BLOCK_KEY0 .. BLOCK_KEY5 (or 0 .. 5)");
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

void add_confirm(CLI::App& app, bool& confirm) {
  app.add_flag("--confirm", confirm, "burn (irreversible); without it the command only shows the plan");
}

constexpr const char* kRefusalFooter =
    "Always a dry run first: the plan lists every eFuse in the order it will be burned, with the reason.\n"
    "Refusals (exit 6) name the rule and the fix: XTS key in BLOCK_KEY5, Secure Boot before flash\n"
    "encryption, a key block already taken, images not signed by a burned digest, USB cut on a USB-only\n"
    "product, a plan made from other eFuses than the device has now, ... A second run burns only what is\n"
    "missing. See docs/security.md.\n";

struct FullArgs {
  std::shared_ptr<ConnectionOptions> connection;
  BurnArgs security;
  std::vector<std::string> field_pairs;
  std::string plan_file;
  std::string out;
  bool include_final_lock = false;
};

const RegisterCommand burn_command{{
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
        run_device_command(*args->connection, [&] {
          BurnJob job;
          if (!args->plan_file.empty()) {
            job.plan_file = load_plan_file(args->plan_file);
          } else {
            job.inputs = read_inputs(args->security);
            add_field_pairs(job.inputs.profile, args->field_pairs);
          }
          job.confirm = args->security.confirm;
          job.include_final_lock = args->include_final_lock;
          run_job(*args->connection, job);
        });
      });
    },
}};

const RegisterCommand plan_command{{
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
        run_device_command(*args->connection, [&] {
          BurnJob job;
          job.inputs = read_inputs(args->security);
          add_field_pairs(job.inputs.profile, args->field_pairs);
          job.out = args->out;
          run_job(*args->connection, job);
        });
      });
    },
}};

struct KeyArgs {
  std::shared_ptr<ConnectionOptions> connection;
  std::string block;
  std::string file;
  std::string purpose;
  bool no_read_protect = false;
  bool no_write_protect = false;
  bool confirm = false;
};

void configure_key_command(CLI::App& app, const std::shared_ptr<KeyArgs>& args, const char* file_help) {
  args->connection = add_connection_options(app);
  app.add_option("block", args->block, "BLOCK_KEY0 .. BLOCK_KEY5")->required();
  app.add_option("keyfile", args->file, file_help)->required()->check(CLI::ExistingFile);
  app.add_option("purpose", args->purpose, "key purpose, espefuse's name")->required();
  app.add_flag("--no-write-protect", args->no_write_protect, "leave the key block writable (not recommended)");
  add_confirm(app, args->confirm);
  app.footer(kRefusalFooter);
}

const RegisterCommand burn_key_command{{
    "efuse burn-key",
    "Burn a 32-byte key file (XTS, HMAC, ...) into a key block with its purpose (espefuse burn_key)",
    [](CLI::App& app) {
      auto args = std::make_shared<KeyArgs>();
      configure_key_command(app, args, "32-byte key file (burned reversed, as burn_key does)");
      app.add_flag("--no-read-protect", args->no_read_protect, "leave the key readable (development only)");
      app.callback([args] {
        run_device_command(*args->connection, [&] {
          const auto purpose = parse_purpose(args->purpose);
          const auto info = security::key_purpose_info(static_cast<std::uint32_t>(purpose));
          if (info && info->digest) {
            throw BadInputError("cli.key_purpose_unsupported",
                                fmt::format("{} takes a public key digest", args->purpose),
                                "use espfab efuse burn-key-digest BLOCK PUBKEY.pem " + args->purpose);
          }
          SecretBytes bytes(read_file(args->file));
          if (bytes.size() != 32) {
            throw BadInputError("cli.key_size", args->file + " must hold exactly 32 bytes",
                                "burn each half of an XTS-AES-256 key with its own purpose");
          }
          BurnJob job;
          job.inputs.profile = bare_profile();
          security::KeyBlockWrite write;
          write.key_block = parse_key_block(args->block);
          write.purpose = purpose;
          if (security::is_xts_purpose(purpose)) {
            // burn_key reverses XTS keys for the AES-XTS peripheral.
            job.inputs.key.emplace(std::move(bytes));
            write.source = security::KeySource::DeviceFlashEncryptionKey;
          } else {
            job.inputs.secret_keys.push_back(std::move(bytes));  // HMAC/DS keys: as they are
            write.source = security::KeySource::SecretKey;
          }
          write.read_protect = !args->no_read_protect && info && info->needs_read_protect;
          write.write_protect = !args->no_write_protect;
          job.inputs.profile.extra_keys.push_back(std::move(write));
          job.confirm = args->confirm;
          run_job(*args->connection, job);
        });
      });
    },
}};

const RegisterCommand burn_key_digest_command{{
    "efuse burn-key-digest",
    "Burn a Secure Boot V2 public key digest into a key block (espefuse burn_key_digest)",
    [](CLI::App& app) {
      auto args = std::make_shared<KeyArgs>();
      configure_key_command(app, args, "RSA-3072 PEM key (public or private); its SBv2 digest is burned");
      app.callback([args] {
        run_device_command(*args->connection, [&] {
          const auto purpose = parse_purpose(args->purpose);
          const auto info = security::key_purpose_info(static_cast<std::uint32_t>(purpose));
          if (!info || !info->digest) {
            throw BadInputError("cli.key_purpose_unsupported",
                                fmt::format("{} is not a Secure Boot digest purpose", args->purpose),
                                "use SECURE_BOOT_DIGEST0, SECURE_BOOT_DIGEST1 or SECURE_BOOT_DIGEST2");
          }
          const auto key = security::load_sbv2_key_file(args->file, false);
          const auto digest = security::sbv2_public_key(key.get()).digest();
          BurnJob job;
          job.inputs.profile = bare_profile();
          security::KeyBlockWrite write;
          write.key_block = parse_key_block(args->block);
          write.purpose = purpose;
          write.digest = Bytes(digest.begin(), digest.end());
          write.write_protect = !args->no_write_protect;
          job.inputs.profile.extra_keys.push_back(std::move(write));
          job.confirm = args->confirm;
          run_job(*args->connection, job);
        });
      });
    },
}};

struct ProtectArgs {
  std::shared_ptr<ConnectionOptions> connection;
  std::vector<std::string> names;
  bool confirm = false;
};

const RegisterCommand write_protect_command{{
    "efuse write-protect",
    "Write-protect eFuse fields or blocks (espefuse write_protect_efuse)",
    [](CLI::App& app) {
      auto args = std::make_shared<ProtectArgs>();
      args->connection = add_connection_options(app);
      app.add_option("fields", args->names, "field names (their whole WR_DIS group is protected)")->required();
      add_confirm(app, args->confirm);
      app.footer(kRefusalFooter);
      app.callback([args] {
        run_device_command(*args->connection, [&] {
          BurnJob job;
          job.inputs.profile = bare_profile();
          job.inputs.profile.extra_write_protect = args->names;
          job.confirm = args->confirm;
          run_job(*args->connection, job);
        });
      });
    },
}};

const RegisterCommand read_protect_command{{
    "efuse read-protect",
    "Read-protect key blocks (RD_DIS; espefuse read_protect_efuse)",
    [](CLI::App& app) {
      auto args = std::make_shared<ProtectArgs>();
      args->connection = add_connection_options(app);
      app.add_option("blocks", args->names, "BLOCK_KEY0 .. BLOCK_KEY5")->required();
      add_confirm(app, args->confirm);
      app.footer(kRefusalFooter);
      app.callback([args] {
        run_device_command(*args->connection, [&] {
          BurnJob job;
          job.inputs.profile = bare_profile();
          std::uint64_t bits = 0;
          for (const auto& name : args->names) bits |= std::uint64_t{1} << parse_key_block(name);
          job.inputs.profile.extra_fields.emplace_back("RD_DIS", bits);
          job.confirm = args->confirm;
          run_job(*args->connection, job);
        });
      });
    },
}};

}  // namespace
}  // namespace espfab::cli
