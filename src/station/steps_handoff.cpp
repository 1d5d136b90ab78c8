// Phase 4: registration with the broker's allowed list and the label, both through the outbox:
// the item is queued (committed) first, then tried; a failure leaves it queued for a later retry
// and the device is still provisioned.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "station/provisioning_steps.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

DeviceHandoff handoff_of(const DeviceContext& ctx) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  return {ctx.serial, ctx.mac, ctx.certificate_pem, ctx.certificate_sha256,
          fmt::format("{:%Y-%m-%d}", fmt::gmtime(now))};
}

StepOutcome deliver(DeviceContext& ctx, const std::string& kind, const std::function<std::string()>& attempt) {
  auto& db = ctx.station.db;
  const auto device = handoff_of(ctx);
  const auto id =
      db.enqueue(kind, ctx.mac, {{"serial", device.serial}, {"mac", device.mac}, {"date", device.provisioned_date}});
  StepOutcome out;
  try {
    out.details["delivered_to"] = attempt();
    db.outbox_attempt(id, true, "");
  } catch (const Error& error) {
    db.outbox_attempt(id, false, error.describe());
    out.details["queued"] = true;
    out.details["last_error"] = error.describe();
  }
  return out;
}

}  // namespace

StepOutcome step_register(DeviceContext& ctx) {
  const auto device = handoff_of(ctx);
  return deliver(ctx, "register", [&] {
    ctx.station.registrar.register_device(device);
    return ctx.station.registrar.describe();
  });
}

StepOutcome step_label(DeviceContext& ctx) {
  const auto device = handoff_of(ctx);
  return deliver(ctx, "label", [&] { return ctx.station.labels.print(device); });
}

}  // namespace espfab::station
