// The eFuse operations of the CLI (`espfab efuse summary|plan|burn|burn-key|...`) as one service:
// read the device's eFuses; plan from a security profile (or take a plan file), show the plan
// through the caller's event, write the plan file, and only when confirmed burn it through the
// executor, block by block, each verified. The station's steps use the same planner, executor and
// plan serializer (security/burn_plan*.hpp).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "loader/session.hpp"
#include "security/burn_plan.hpp"
#include "security/burn_plan_file.hpp"
#include "security/efuse_burner.hpp"
#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"
#include "util/bytes.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::service {

// A plan's inputs: the security profile, its keys (in memory only) and the signed images the
// planner checks against the Secure Boot digests.
struct EfusePlanInputs {
  security::SecurityProfile profile;
  std::optional<security::FlashEncryptionKey> key;
  std::vector<SecretBytes> secret_keys;  // KeySource::SecretKey writes (burn-key with HMAC purposes)
  Bytes bootloader;
  Bytes app;
  std::vector<security::PlanImage> images() const;
};

struct EfuseBurnJob {
  EfusePlanInputs inputs;
  std::optional<security::PlanFile> plan_file;  // burn this plan instead of planning now
  bool confirm = false;                         // false: plan and show only (a dry run)
  bool include_final_lock = false;              // the boot was verified: the final lock may burn
  std::filesystem::path plan_out;               // write the plan file here (no key bytes)
};

struct EfuseBurnEvents {
  std::function<void(const security::BurnPlan&)> planned;  // before anything burns
  security::BurnObserver step;                             // around each block's program cycle
};

struct EfuseBurnOutcome {
  security::BurnPlan plan;
  bool burned = false;  // anything was programmed
  std::vector<security::BurnStep> steps;
  bool final_lock_held_back = false;  // the plan has a final lock and include_final_lock was off
};

security::EfuseImage read_device_efuses(loader::Session& session);

// Plans (or loads), reports the plan, writes the plan file, and burns when confirmed. Throws the
// planner's and executor's refusals (PolicyRefusalError) before anything is burned.
EfuseBurnOutcome run_efuse_job(loader::Session& session, EfuseBurnJob& job, const EfuseBurnEvents& events = {});

}  // namespace espfab::service
