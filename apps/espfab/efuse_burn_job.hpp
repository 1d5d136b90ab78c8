// What every `espfab efuse` burn command shares: the inputs of a plan, the job that reads the
// device, plans (or loads a plan file), shows the plan and, with --confirm, burns it through the
// executor; and the small parsers the commands have in common.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "connection_options.hpp"
#include "efuse_plan_file.hpp"
#include "security/burn_plan.hpp"
#include "security/flash_encryption.hpp"
#include "security/key_purpose.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::cli {

// A plan's inputs: the security profile, its keys (in memory only) and the signed images.
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

// What a burn command executes: a plan made now from a profile, or a plan file.
struct BurnJob {
  Inputs inputs;
  std::optional<PlanFile> plan_file;
  bool confirm = false;
  bool include_final_lock = false;
  std::string out;  // `efuse plan --out`: write the plan file
};

// Reads the device's eFuses, plans or takes the plan file, prints, and burns with --confirm.
void run_job(const ConnectionOptions& connection, BurnJob& job);

// A profile that burns only what a direct command asks for.
security::SecurityProfile bare_profile();
unsigned parse_key_block(const std::string& text);
security::KeyPurpose parse_purpose(const std::string& text);
void add_confirm(CLI::App& app, bool& confirm);
extern const char* const kRefusalFooter;

}  // namespace espfab::cli
