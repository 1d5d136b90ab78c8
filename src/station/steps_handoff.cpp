// Phase 4: registration with the broker's allowed list and the label, both through the outbox:
// the item is queued (committed) first, then tried; a failure leaves it queued for the outbox
// thread's retries and the device is still provisioned.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "station/provisioning_steps.hpp"

namespace espfab::station {
namespace {

StepOutcome deliver(DeviceContext& ctx, const char* kind) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  const nlohmann::json payload = {
      {"serial", ctx.serial}, {"mac", ctx.mac}, {"date", fmt::format("{:%Y-%m-%d}", fmt::gmtime(now))}};
  StepOutcome out;
  out.details = ctx.station.outbox.deliver(kind, ctx.mac, payload);
  return out;
}

}  // namespace

StepOutcome step_register(DeviceContext& ctx) { return deliver(ctx, kRegisterItem); }

StepOutcome step_label(DeviceContext& ctx) { return deliver(ctx, kLabelItem); }

}  // namespace espfab::station
