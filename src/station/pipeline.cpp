#include "station/pipeline.hpp"

#include <fmt/format.h>

#include "station/device_record.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

bool transient(ErrorKind kind) {
  return kind == ErrorKind::Timeout || kind == ErrorKind::Protocol || kind == ErrorKind::Io;
}

std::string_view outcome_name(StepVerdict verdict) {
  switch (verdict) {
    case StepVerdict::Continue: return "pass";
    case StepVerdict::Skip: return "pass";
    case StepVerdict::Fail: return "fail";
    case StepVerdict::Stop: return "error";
    case StepVerdict::Retry: return "fail";
  }
  return "error";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void DeviceContext::progress(const std::string& step, std::uint64_t done, std::uint64_t total) const {
  if (!observer) return;
  StationEvent event;
  event.kind = StationEvent::Kind::StepProgress;
  event.fixture = fixture_name;
  event.mac = mac;
  event.serial = serial;
  event.step = step;
  event.done = done;
  event.total = total;
  observer(event);
}

void DeviceContext::wipe_secrets() {
  device_key.reset();  // EVP_PKEY_free clears the private part
  fe_key.reset();      // SecretBytes wipe on destruction
  secure_cert_partition.wipe();
}

DeviceResult run_pipeline(DeviceContext& ctx, const std::vector<StepDecl>& steps) {
  const auto device_start = std::chrono::steady_clock::now();
  DeviceResult result;
  result.fixture = ctx.fixture_name;
  result.result = "provisioned";
  auto emit = [&](StationEvent::Kind kind, const std::string& step = {}, const std::string& outcome = {},
                  const std::string& message = {}, double seconds = 0) {
    if (!ctx.observer) return;
    StationEvent event;
    event.kind = kind;
    event.fixture = ctx.fixture_name;
    event.mac = ctx.mac;
    event.serial = ctx.serial;
    event.step = step;
    event.outcome = outcome;
    event.message = message;
    event.seconds = seconds;
    ctx.observer(event);
  };
  emit(StationEvent::Kind::DeviceStarted);

  for (std::size_t index = 0; index < steps.size(); ++index) {
    const StepDecl& step = steps[index];
    const std::string started = utc_now_iso();
    if (index > 0 && step.skip_when_done && ctx.station.db.step_done(ctx.mac, step.name)) {
      ctx.station.db.record_step({ctx.mac,
                                  ctx.station.run_id,
                                  step.name,
                                  "skipped",
                                  started,
                                  0.0,
                                  nlohmann::json::array(),
                                  "",
                                  {{"reason", "done in an earlier run"}}});
      emit(StationEvent::Kind::StepFinished, step.name, "skipped", "done in an earlier run");
      continue;
    }
    emit(StationEvent::Kind::StepStarted, step.name);
    const auto step_start = std::chrono::steady_clock::now();
    StepOutcome outcome;
    std::string error_code;
    for (unsigned attempt = 1;; ++attempt) {
      error_code.clear();
      try {
        outcome = step.body(ctx);
      } catch (const Error& error) {
        error_code = error.code();
        outcome = StepOutcome{transient(error.kind()) ? StepVerdict::Retry : StepVerdict::Fail, error.describe()};
      } catch (const std::exception& error) {
        outcome = StepOutcome{StepVerdict::Stop, fmt::format("internal error: {}", error.what())};
      }
      if (outcome.verdict == StepVerdict::Retry && attempt < step.attempts) {
        emit(StationEvent::Kind::StepProgress, step.name, "",
             fmt::format("attempt {} failed ({}), retrying", attempt, outcome.reason));
        ctx.fixture.close_session();
        continue;
      }
      if (outcome.verdict == StepVerdict::Retry) outcome.verdict = StepVerdict::Fail;
      break;
    }
    // Once anything irreversible happened, a failure is a fault for an engineer, not a reject.
    if (outcome.verdict == StepVerdict::Fail && (ctx.security_burned || step.irreversible)) {
      outcome.verdict = StepVerdict::Stop;
    }
    const double seconds = seconds_since(step_start);
    if (!error_code.empty()) outcome.details["error_code"] = error_code;
    if (!ctx.mac.empty()) {
      ctx.station.db.record_step({ctx.mac, ctx.station.run_id, step.name, std::string(outcome_name(outcome.verdict)),
                                  started, seconds, outcome.measurements, outcome.reason, outcome.details});
    }
    emit(StationEvent::Kind::StepFinished, step.name, std::string(outcome_name(outcome.verdict)), outcome.reason,
         seconds);
    if (outcome.verdict == StepVerdict::Skip) {
      result.result = "skipped";
      result.reason = outcome.reason;
      break;
    }
    if (outcome.verdict == StepVerdict::Fail) {
      result.result = "rejected";
      result.reason = fmt::format("{}: {}", step.name, outcome.reason);
      break;
    }
    if (outcome.verdict == StepVerdict::Stop) {
      result.result = "fault";
      result.reason = fmt::format("{}: {}", step.name, outcome.reason);
      break;
    }
  }

  // Teardown: always.
  ctx.wipe_secrets();
  ctx.console += ctx.fixture.take_console();
  result.mac = ctx.mac;
  result.serial = ctx.serial;
  result.seconds = seconds_since(device_start);
  if (!ctx.mac.empty() && result.result != "skipped") {
    try {
      ctx.station.db.set_status(ctx.mac, result.result, result.reason);
      result.record = write_device_record(ctx, result).string();
    } catch (const Error& error) {
      result.result = "fault";
      result.reason += (result.reason.empty() ? "" : "; ") + std::string("record not written: ") + error.describe();
    }
  }
  ctx.fixture.close_session();
  emit(StationEvent::Kind::DeviceFinished, "", result.result, result.reason, result.seconds);
  return result;
}

}  // namespace espfab::station
