#include "efuse_burn_job.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>

#include "chip/esp32s3_efuse.hpp"
#include "cli_support.hpp"
#include "security/burn_plan_json.hpp"
#include "security/efuse_burner.hpp"
#include "util/error.hpp"

namespace espfab::cli {

namespace efuse = chip::esp32s3_efuse;

namespace {

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

}  // namespace

void run_job(const ConnectionOptions& connection, BurnJob& job) {
  Device device(connection);
  const bool json = connection.json;
  nlohmann::json steps = nlohmann::json::array();
  service::EfuseBurnEvents events;
  events.planned = [&](const security::BurnPlan& plan) {
    if (!json) print_plan(plan);
  };
  events.step = [&](const security::BurnStep& step, bool finished) {
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
  };
  const auto outcome = service::run_efuse_job(device.session(), job, events);
  if (!job.confirm) {
    if (json) {
      print_json({{"plan", security::burn_plan_to_json(outcome.plan)}, {"burned", false}});
    } else if (!job.plan_out.empty()) {
      std::cout << "\nPlan written to " << job.plan_out.string() << " (no key bytes in it). Nothing burned.\n";
    } else {
      std::cout << "\nDry run: nothing burned. Review the plan, then add --confirm to burn it.\n";
    }
    device.finish();
    return;
  }
  if (json) {
    print_json({{"plan", security::burn_plan_to_json(outcome.plan)},
                {"burned", outcome.burned},
                {"steps", steps},
                {"final_lock_held_back", outcome.final_lock_held_back}});
  } else if (outcome.final_lock_held_back) {
    std::cout << "The final lock was held back: flash and boot the signed firmware, check the boot, then run\n"
                 "the same command with --include-final-lock.\n";
  }
  device.finish();
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

security::KeyPurpose parse_purpose(const std::string& text) {
  const auto info = security::key_purpose_by_name(text);
  if (!info) {
    throw BadInputError("cli.bad_key_purpose", fmt::format("'{}' is not a key purpose", text),
                        "use espefuse's names: XTS_AES_128_KEY, XTS_AES_256_KEY_1, SECURE_BOOT_DIGEST0, ...");
  }
  return info->purpose;
}

void add_confirm(CLI::App& app, bool& confirm) {
  app.add_flag("--confirm", confirm, "burn (irreversible); without it the command only shows the plan");
}

const char* const kRefusalFooter =
    "Always a dry run first: the plan lists every eFuse in the order it will be burned, with the reason.\n"
    "Refusals (exit 6) name the rule and the fix: XTS key in BLOCK_KEY5, Secure Boot before flash\n"
    "encryption, a key block already taken, images not signed by a burned digest, USB cut on a USB-only\n"
    "product, a plan made from other eFuses than the device has now, ... A second run burns only what is\n"
    "missing. See docs/security.md.\n";

}  // namespace espfab::cli
