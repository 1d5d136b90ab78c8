#include "station/provisioning_steps.hpp"

#include <map>

#include "flash/writer.hpp"
#include "security/efuse_burner.hpp"
#include "security/loader_efuse_registers.hpp"

namespace espfab::station {

std::vector<StepDecl> provisioning_steps() {
  // name, attempts, irreversible, skip_when_done, body
  return {
      {"connect", 3, false, false, step_connect},
      {"flash-factory", 3, false, true, step_flash_factory},
      {"hardware-test", 1, false, true, step_hardware_test},
      {"allocate-serial", 1, false, false, step_allocate_serial},
      {"issue-identity", 2, false, true, step_issue_identity},
      {"inject-identity", 3, false, true, step_inject_identity},
      {"plan-security", 2, false, false, step_plan_security},
      // The flash-encryption key goes into its eFuse block first (still readable), then the
      // production firmware encrypted with it, then the rest of the burn: a station that dies at
      // any point leaves the key on the chip or nowhere, never only in its lost memory
      // (docs/station.md, "Step order").
      {"burn-fe-key", 3, true, false, step_burn_fe_key},
      {"flash-production", 3, false, false, step_flash_production},
      {"burn-efuses", 3, true, true, step_burn_efuses},
      {"verify-boot", 2, false, true, step_verify_boot},
      {"final-lock", 3, true, true, step_final_lock},
      {"register", 1, false, true, step_register},
      {"verify-hello", 1, false, true, step_verify_hello},
      {"label", 1, false, true, step_label},
  };
}

StepDecl retire_identity_step() { return {"retire-identity", 3, false, false, step_retire_identity}; }

loader::Session& device_session(DeviceContext& ctx) {
  if (auto* session = ctx.fixture.session()) return *session;
  return ctx.fixture.connect();
}

security::EfuseImage read_device_efuses(DeviceContext& ctx) {
  security::LoaderEfuseRegisters registers(device_session(ctx).client());
  ctx.efuses = security::read_efuses(registers);
  return ctx.efuses;
}

nlohmann::json write_regions(DeviceContext& ctx, const std::string& step,
                             const std::vector<flash::FlashRegion>& regions, bool compress,
                             flash::CompressionCache* cache) {
  auto& session = device_session(ctx);
  flash::PlanOptions plan_options;
  plan_options.compress = compress;
  plan_options.flash_size = session.flash_size();
  plan_options.chip = &session.description();
  const auto plan = flash::plan_writes(regions, plan_options);
  flash::WriteOptions options;
  options.skip_unchanged = true;
  options.cache = cache;
  const std::uint64_t total = plan.total_bytes();
  std::map<std::string, std::uint64_t> done_per_region;
  options.progress = [&](const ProgressEvent& event) {
    done_per_region[event.item] = event.done;
    std::uint64_t done = 0;
    for (const auto& [item, bytes] : done_per_region) done += bytes;
    ctx.progress(step, std::min(done, total), total);
  };
  nlohmann::json out = nlohmann::json::array();
  for (const auto& region : flash::write_flash(session, plan, options)) {
    out.push_back({{"region", region.label},
                   {"address", region.address},
                   {"size", region.size},
                   {"skipped_unchanged", region.skipped},
                   {"verified", region.verified},
                   {"wire_bytes", region.wire_bytes}});
  }
  return out;
}

}  // namespace espfab::station
