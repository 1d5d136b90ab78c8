// Phase 4: registration with the broker's allowed list and the label, both through the outbox:
// the item is queued (committed) first, then tried; a failure leaves it queued for the outbox
// thread's retries and the device is still provisioned.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <string_view>

#include "station/hello_line.hpp"
#include "station/provisioning_steps.hpp"

namespace espfab::station {
namespace {

StepOutcome deliver(DeviceContext& ctx, const char* kind) {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  const std::string& mac = ctx.input<ConnectResult>().mac;
  const nlohmann::json payload = {
      {"serial", device_serial(ctx)}, {"mac", mac}, {"date", fmt::format("{:%Y-%m-%d}", fmt::gmtime(now))}};
  StepOutcome out;
  out.details = ctx.station.outbox.deliver(kind, mac, payload);
  return out;
}

}  // namespace

StepOutcome step_register(DeviceContext& ctx) { return deliver(ctx, kRegisterItem); }

StepOutcome step_label(DeviceContext& ctx) { return deliver(ctx, kLabelItem); }

// The production firmware's own proof: after a normal boot it connects to the broker with the
// certificate and key it finds in its esp_secure_cert partition, publishes <prefix>/<serial>/hello
// and reports the broker's answer on its console ("espfab_hello: ... puback=N (...)").
StepOutcome step_verify_hello(DeviceContext& ctx) {
  const auto& spec = ctx.station.profile.registration;
  StepOutcome out;
  if (!spec.device_hello) {
    out.details["note"] = "not asked for ([registration] device_hello)";
    out.checked_nothing = true;
    return out;
  }
  bool registered = false;
  for (const auto& item : ctx.station.db.outbox(ctx.input<ConnectResult>().mac))
    registered = registered || (item.kind == kRegisterItem && item.state == "done");
  if (!registered) {
    out.details["note"] = "registration still queued: the device cannot be heard yet";
    out.checked_nothing = true;
    return out;
  }
  constexpr std::string_view kHello = "espfab_hello: ";
  const std::string console = ctx.fixture.boot(
      [&](std::string_view text) {
        const auto at = text.find(kHello);
        return at != std::string_view::npos && text.find('\n', at) != std::string_view::npos;
      },
      std::chrono::milliseconds(spec.hello_timeout_ms));
  ctx.add_console(ctx.fixture.take_console());
  const auto at = console.find(kHello);
  if (at == std::string::npos) {
    out.verdict = StepVerdict::Fail;
    out.reason = fmt::format("no espfab_hello line within {} ms after a normal boot", spec.hello_timeout_ms);
    return out;
  }
  std::string line = console.substr(at + kHello.size(), console.find_first_of("\r\n", at) - at - kHello.size());
  out.details["hello"] = line;
  const HelloLine hello = read_hello_line(line);
  if (!hello.reached_broker) {
    // The device could not reach the broker (it reports why): not the identity's fault.
    out.details["note"] = "the device could not reach the broker; its identity was not checked";
    out.checked_nothing = true;
    return out;
  }
  if (!hello.puback) {
    out.verdict = StepVerdict::Fail;
    out.reason = fmt::format("the device's hello line has no PUBACK reason code (0..255) after 'puback=': {}", line);
    return out;
  }
  const unsigned code = *hello.puback;
  out.details["puback"] = code;
  if (code != 0 && code != 16) {  // 16: accepted, nobody subscribed
    out.verdict = StepVerdict::Fail;
    out.reason = fmt::format("the broker refused the device's own hello: {}", line);
  }
  return out;
}

}  // namespace espfab::station
