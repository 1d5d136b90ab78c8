// The steps of docs/provisioning-flow.md as pipeline declarations, in the order
// provisioning_steps() runs them, with their inputs and typed outputs (step_outputs.hpp); numbered
// as in docs/station.md's step table. Each body is in the file of its phase:
//   steps_factory.cpp   1 connect, 2 flash-factory, 3 hardware-test
//   steps_identity.cpp  4 allocate-serial, 5 issue-identity, 6 inject-identity; the on-reject step
//                       retire-identity
//   steps_security.cpp  7 plan-security, 8a burn-fe-key, 9 flash-production, 8b burn-efuses,
//                       10 verify-boot, 11 final-lock (the flow's step 8 split around step 9:
//                       docs/station.md, "Step order")
//   steps_handoff.cpp   12 register, 12b verify-hello, 13 label
#pragma once

#include <vector>

#include "flash/plan.hpp"
#include "station/pipeline.hpp"
#include "station/step_outputs.hpp"

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
// A full read of the device's eFuses, remembered as DeviceContext::known_efuses for this session.
security::EfuseImage read_device_efuses(DeviceContext& ctx);
// The device's serial: SerialAllocation's once allocated, else the one ConnectResult found in the
// DB (both must be declared inputs).
std::string device_serial(const DeviceContext& ctx);
nlohmann::json write_regions(DeviceContext& ctx, const std::string& step,
                             const std::vector<flash::FlashRegion>& regions, bool compress,
                             flash::CompressionCache* cache);

// issue-identity's key pair, made in the background (background_work.hpp) from here on when the DB
// holds no certificate for the device yet; issue-identity takes it, or makes one itself when
// nothing was started (a resumed run). flash-factory starts it: the device is busy for seconds.
void start_device_key(DeviceContext& ctx);

}  // namespace espfab::station
