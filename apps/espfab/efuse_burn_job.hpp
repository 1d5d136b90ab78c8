// What every `espfab efuse` burn command shares: running a job of the eFuse service
// (service/efuse_operations.hpp: read the device, plan or load a plan file, burn with --confirm)
// with the plan and each block shown as text or JSON; and the small parsers the commands have in
// common.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "connection_options.hpp"
#include "security/burn_plan.hpp"
#include "security/flash_encryption.hpp"
#include "security/key_purpose.hpp"
#include "service/efuse_operations.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::cli {

using Inputs = service::EfusePlanInputs;
using BurnJob = service::EfuseBurnJob;

// Reads the device's eFuses, plans or takes the plan file, prints, and burns with --confirm.
void run_job(const ConnectionOptions& connection, BurnJob& job);

// A profile that burns only what a direct command asks for.
security::SecurityProfile bare_profile();
unsigned parse_key_block(const std::string& text);
security::KeyPurpose parse_purpose(const std::string& text);
void add_confirm(CLI::App& app, bool& confirm);
extern const char* const kRefusalFooter;

}  // namespace espfab::cli
