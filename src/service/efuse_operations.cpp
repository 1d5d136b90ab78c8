#include "service/efuse_operations.hpp"

#include <algorithm>

#include "security/loader_efuse_registers.hpp"
#include "util/file_io.hpp"

namespace espfab::service {

std::vector<security::PlanImage> EfusePlanInputs::images() const {
  std::vector<security::PlanImage> list;
  if (!bootloader.empty()) list.push_back({"bootloader", bootloader});
  if (!app.empty()) list.push_back({"app", app});
  return list;
}

security::EfuseImage read_device_efuses(loader::Session& session) {
  security::LoaderEfuseRegisters registers(session.client());
  return security::read_efuses(registers);
}

EfuseBurnOutcome run_efuse_job(loader::Session& session, EfuseBurnJob& job, const EfuseBurnEvents& events) {
  security::LoaderEfuseRegisters registers(session.client());
  const security::EfuseImage now = security::read_efuses(registers);
  EfuseBurnOutcome outcome;
  security::EfuseImage planned_from = now;
  std::optional<security::FlashEncryptionKey> key;
  if (job.plan_file) {
    outcome.plan = job.plan_file->plan;
    planned_from = job.plan_file->planned_from;
    key = security::generate_key_for_plan(outcome.plan);  // a plan file never holds key bytes
  } else {
    const auto images = job.inputs.images();
    outcome.plan = security::plan_burn(job.inputs.profile, now, images);
    key = std::move(job.inputs.key);
  }
  if (!job.plan_out.empty()) {
    write_text_file_atomic(job.plan_out, security::plan_file_json(outcome.plan, planned_from).dump(2) + "\n");
  }
  if (events.planned) events.planned(outcome.plan);
  outcome.final_lock_held_back =
      !job.include_final_lock && std::any_of(outcome.plan.batches.begin(), outcome.plan.batches.end(),
                                             [](const auto& batch) { return batch.after_boot_verified; });
  if (!job.confirm) return outcome;
  security::EfuseBurner burner(registers);
  const auto report = burner.execute(
      outcome.plan, planned_from, key ? &*key : nullptr, security::BurnOptions{.boot_verified = job.include_final_lock},
      [&](const security::BurnStep& step, bool finished) {
        if (finished) outcome.steps.push_back(step);
        if (events.step) events.step(step, finished);
      },
      job.inputs.secret_keys);
  outcome.burned = report.burned_anything();
  return outcome;
}

}  // namespace espfab::service
