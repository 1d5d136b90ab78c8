// eFuse plan files (`espfab efuse plan --out`, `efuse burn --plan`): a plan and the eFuse words it
// was made from, as JSON ("espfab-efuse-plan/1"; the plan in burn_plan_json.hpp's shape plus
// "format", "chip" and "planned_from", one array of words per block). Never key bytes: a
// flash-encryption key is named by its source and generated when the plan is burned; a plan with a
// given secret key cannot be written to a file.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>

#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"

namespace espfab::security {

struct PlanFile {
  BurnPlan plan;
  EfuseImage planned_from;
};

inline constexpr const char* kPlanFileFormat = "espfab-efuse-plan/1";

// Throws BadInputError("cli.plan_with_secret_key") for a plan that burns a key given as a file.
nlohmann::json plan_file_json(const BurnPlan& plan, const EfuseImage& planned_from);
// Throws BadInputError("cli.plan_format") naming the file for anything that is not such a plan.
PlanFile load_plan_file(const std::filesystem::path& path);

// The flash-encryption key a plan file's key blocks call for, generated now in memory (one half:
// AES-128, two halves: AES-256); nullopt when the plan burns no device key.
std::optional<FlashEncryptionKey> generate_key_for_plan(const BurnPlan& plan);

}  // namespace espfab::security
