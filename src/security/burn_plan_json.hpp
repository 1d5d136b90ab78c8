// A BurnPlan as JSON, written and read in one place: plan files (burn_plan_file.hpp), the
// `espfab efuse burn|plan --json` output and the station's device records all use this shape:
//   {"batches": [{"name", "after_boot_verified",
//                 "key_blocks": [{"key_block", "block", "purpose", "source", "key_half", "digest",
//                                 "read_protect", "write_protect"}],
//                 "fields": [{"field", "value", "why"}]}],
//    "already_done": ["SECURE_BOOT_EN already 1", ...]}
// "source" is device_flash_encryption_key, public_digest or secret_key; "digest" holds a public
// key digest only (never key bytes: a device key is named by its source, a secret key likewise).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

#include "security/burn_plan.hpp"

namespace espfab::security {

std::string_view key_source_name(KeySource source);
std::optional<KeySource> key_source_by_name(std::string_view name);

nlohmann::json burn_plan_to_json(const BurnPlan& plan);

// The inverse of burn_plan_to_json. Throws nlohmann::json::exception for a missing or mistyped
// member and BadInputError("security.plan_json") for a value that names nothing (purpose, source,
// key block, digest).
BurnPlan burn_plan_from_json(const nlohmann::json& json);

}  // namespace espfab::security
