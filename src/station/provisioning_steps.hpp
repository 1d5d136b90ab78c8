// The steps of docs/provisioning-flow.md, in order, as pipeline declarations. Each body is in
// the file of its phase: steps_factory.cpp (1-3), steps_identity.cpp (4-6), steps_security.cpp
// (7-11; flash-production before burn-efuses), steps_handoff.cpp (12-13).
#pragma once

#include <vector>

#include "flash/plan.hpp"
#include "station/pipeline.hpp"

namespace espfab::station {

std::vector<StepDecl> provisioning_steps();
// The pipeline's on-reject step (step_retire_identity).
StepDecl retire_identity_step();

StepOutcome step_connect(DeviceContext& ctx);
StepOutcome step_flash_factory(DeviceContext& ctx);
StepOutcome step_hardware_test(DeviceContext& ctx);
StepOutcome step_allocate_serial(DeviceContext& ctx);
StepOutcome step_issue_identity(DeviceContext& ctx);
StepOutcome step_inject_identity(DeviceContext& ctx);
StepOutcome step_plan_security(DeviceContext& ctx);
StepOutcome step_burn_fe_key(DeviceContext& ctx);
StepOutcome step_flash_production(DeviceContext& ctx);
StepOutcome step_burn_efuses(DeviceContext& ctx);
StepOutcome step_verify_boot(DeviceContext& ctx);
StepOutcome step_verify_hello(DeviceContext& ctx);
StepOutcome step_final_lock(DeviceContext& ctx);
StepOutcome step_register(DeviceContext& ctx);
StepOutcome step_label(DeviceContext& ctx);
// Run when a device is rejected: a device that got an identity leaves the fixture without it (its
// certificate revoked, its identity partition erased and read back erased).
StepOutcome step_retire_identity(DeviceContext& ctx);

// Shared by the step bodies.
loader::Session& device_session(DeviceContext& ctx);  // the open session, or a fresh connect
security::EfuseImage read_device_efuses(DeviceContext& ctx);
nlohmann::json write_regions(DeviceContext& ctx, const std::string& step,
                             const std::vector<flash::FlashRegion>& regions, bool compress,
                             flash::CompressionCache* cache);

}  // namespace espfab::station
