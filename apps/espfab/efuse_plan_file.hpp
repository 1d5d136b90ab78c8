// eFuse plan files (`espfab efuse plan --out`, `efuse burn --plan`): a plan and the eFuse words
// it was made from, as JSON ("espfab-efuse-plan/1"). Never key bytes: a flash-encryption key is
// named by source and generated when the plan is burned; a plan with a given secret key is refused.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"

namespace espfab::cli {

struct PlanFile {
  security::BurnPlan plan;
  security::EfuseImage planned_from;
};

inline constexpr const char* kPlanFormat = "espfab-efuse-plan/1";

nlohmann::json plan_file_json(const security::BurnPlan& plan, const security::EfuseImage& from);
// Throws BadInputError("cli.plan_format") for anything that is not such a plan.
PlanFile load_plan_file(const std::string& path);

}  // namespace espfab::cli
