#include "station/provisioning_steps.hpp"

#include <map>

#include "flash/writer.hpp"
#include "security/efuse_burner.hpp"
#include "security/loader_efuse_registers.hpp"

namespace espfab::station {

using namespace std::chrono_literals;

namespace {

StepDecl declare(std::string name, unsigned attempts, bool irreversible, bool skip_when_done,
                 std::function<StepOutcome(DeviceContext&)> body, std::vector<std::type_index> inputs,
                 std::optional<std::type_index> output = std::nullopt,
                 std::function<StepOutput(DeviceContext&)> rebuild = {}) {
  return {std::move(name), attempts,          irreversible, skip_when_done,
          std::move(body), std::move(inputs), output,       std::move(rebuild)};
}

// A hang guard, not a speed target: far above what the step takes at 115200 baud with a 16 MB
// flash, so only a link or device that stopped making progress reaches it (docs/station.md).
StepDecl within(std::chrono::minutes budget, StepDecl decl) {
  decl.budget = budget;
  return decl;
}

// A resumed run that skips issue-identity or inject-identity: the certificate the DB holds. Its key
// went with the run that issued it (inject-identity finds out whether the device holds it); the
// partition stays on the device (flash-production reads it back).
template <class Identity>
StepOutput rebuild_from_recorded_certificate(DeviceContext& ctx) {
  Identity identity;
  if (const auto cert = ctx.station.db.certificate(ctx.input<ConnectResult>().mac)) {
    identity.certificate_pem = cert->pem;
    identity.certificate_sha256 = cert->sha256;
  }
  return StepOutput::of(std::move(identity));
}

}  // namespace

std::vector<StepDecl> provisioning_steps() {
  using C = ConnectResult;
  using S = SerialAllocation;
  // name, attempts, irreversible, skip_when_done, body, inputs, output, rebuild when skipped
  return {
      within(2min, declare("connect", 3, false, false, step_connect, {}, output_of<C>())),
      within(15min, declare("flash-factory", 3, false, true, step_flash_factory, {})),
      declare("hardware-test", 1, false, true, step_hardware_test, inputs_of<C>()),
      within(1min, declare("allocate-serial", 1, false, false, step_allocate_serial, inputs_of<C>(), output_of<S>())),
      declare("issue-identity", 2, false, true, step_issue_identity, inputs_of<C, S>(), output_of<IssuedIdentity>(),
              rebuild_from_recorded_certificate<IssuedIdentity>),
      within(10min, declare("inject-identity", 3, false, true, step_inject_identity, inputs_of<C, S, IssuedIdentity>(),
                            output_of<InjectedIdentity>(), rebuild_from_recorded_certificate<InjectedIdentity>)),
      within(2min, declare("plan-security", 2, false, false, step_plan_security, inputs_of<C, InjectedIdentity>(),
                           output_of<SecurityPlan>())),
      // The flash-encryption key goes into its eFuse block first (still readable), then the
      // production firmware encrypted with it, then the rest of the burn: a station that dies at
      // any point leaves the key on the chip or nowhere, never only in its lost memory
      // (docs/station.md, "Step order").
      // With container "ds" the identity's DS key goes first, read-protected, in the same step.
      declare("burn-fe-key", 3, true, false, step_burn_fe_key, inputs_of<C, S, SecurityPlan, InjectedIdentity>(),
              output_of<FeKeyBurn>()),
      within(15min, declare("flash-production", 3, false, false, step_flash_production,
                            inputs_of<C, SecurityPlan, FeKeyBurn, InjectedIdentity>())),
      declare("burn-efuses", 3, true, true, step_burn_efuses, inputs_of<C, S, SecurityPlan>()),
      within(15min, declare("verify-boot", 2, false, true, step_verify_boot, inputs_of<C, S, InjectedIdentity>())),
      declare("final-lock", 3, true, true, step_final_lock, inputs_of<C, S, SecurityPlan>()),
      declare("register", 1, false, true, step_register, inputs_of<C, S>()),
      declare("verify-hello", 1, false, true, step_verify_hello, inputs_of<C>()),
      declare("label", 1, false, true, step_label, inputs_of<C, S>()),
  };
}

StepDecl retire_identity_step() {
  return declare("retire-identity", 3, false, false, step_retire_identity,
                 inputs_of<ConnectResult, SerialAllocation, Rejection>());
}

std::string device_serial(const DeviceContext& ctx) {
  if (const auto* allocated = ctx.optional_input<SerialAllocation>()) return allocated->serial;
  return ctx.input<ConnectResult>().serial;
}

loader::Session& device_session(DeviceContext& ctx) {
  if (auto* session = ctx.fixture.session()) return *session;
  return ctx.fixture.connect();
}

security::EfuseImage read_device_efuses(DeviceContext& ctx) {
  security::LoaderEfuseRegisters registers(device_session(ctx).client());
  security::EfuseImage image = security::read_efuses(registers);
  ctx.known_efuses = DeviceContext::KnownEfuses{ctx.fixture.session_number(), image};
  return image;
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
