#include "station/pipeline.hpp"

#include <fmt/format.h>

#include <time.h>

#include <algorithm>
#include <cmath>

#include "station/device_record.hpp"
#include "station/error_policy.hpp"
#include "station/fixture_baud.hpp"
#include "station/step_outputs.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

std::string_view outcome_name(StepVerdict verdict) {
  switch (verdict) {
    case StepVerdict::Continue:
    case StepVerdict::Skip: return "pass";
    case StepVerdict::Fail: return "fail";
    case StepVerdict::Stop: return "error";
    case StepVerdict::Retry: return "fail";
    case StepVerdict::Interrupt: return "interrupted";
  }
  return "error";
}

// The recorded outcome: a step that went on without checking anything is "skipped", not "pass".
std::string outcome_name(const StepOutcome& outcome) {
  if (outcome.verdict == StepVerdict::Continue && outcome.checked_nothing) return "skipped";
  return std::string(outcome_name(outcome.verdict));
}

// CPU time of the calling thread.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

using Emit =
    std::function<void(StationEvent::Kind, const std::string&, const std::string&, const std::string&, double)>;

// An error's outcome under the station's error policy (error_policy.hpp, docs/errors.md); the
// record keeps its kind, code and hint.
StepOutcome outcome_of(const Error& error) {
  const auto policy = error_policy(error);
  StepOutcome outcome;
  outcome.reason = error.describe();
  outcome.details["error"] = {{"kind", to_string(error.kind())},
                              {"code", error.code()},
                              {"hint", error.hint()},
                              {"side", to_string(policy.side)},
                              {"policy", to_string(policy.action)}};
  switch (policy.action) {
    case ErrorAction::RetryThenBlameDevice: outcome.verdict = StepVerdict::Retry; break;
    case ErrorAction::BlameDevice: outcome.verdict = StepVerdict::Fail; break;
    case ErrorAction::StopFixture: outcome.verdict = StepVerdict::Interrupt; break;
    case ErrorAction::StopStation:
      outcome.verdict = StepVerdict::Interrupt;
      outcome.stop_station = true;
      break;
  }
  return outcome;
}

// Runs a step's body up to its attempts; a Retry (a body's own, or a device-side error) runs it
// again on a fresh session. Anything but an espfab::Error is a bug: Interrupt.
StepOutcome attempt_step(DeviceContext& ctx, const StepDecl& step, const Emit& emit) {
  StepOutcome outcome;
  nlohmann::json baud_fallbacks = nlohmann::json::array();  // auto baud (fixture_baud.hpp)
  for (unsigned attempt = 1;; ++attempt) {
    ctx.begin_step(&step);
    try {
      outcome = step.body(ctx);
      if (!step.irreversible && outcome.verdict == StepVerdict::Continue) ctx.check_budget();
      if (!outcome.output.empty() || (outcome.verdict == StepVerdict::Continue && step.output)) {
        ctx.store(step, outcome.output);
      }
    } catch (const Error& error) {
      outcome = outcome_of(error);
      if (auto fallback = note_link_error(ctx, error); !fallback.is_null()) baud_fallbacks.push_back(fallback);
    } catch (const std::exception& error) {
      outcome = outcome_of(InternalError("station.unexpected", fmt::format("internal error: {}", error.what())));
    }
    ctx.begin_step(nullptr);
    if (outcome.verdict == StepVerdict::Retry && attempt < step.attempts) {
      emit(StationEvent::Kind::StepProgress, step.name, "",
           fmt::format("attempt {} failed ({}), retrying", attempt, outcome.reason), 0);
      ctx.fixture.close_session();
      continue;
    }
    if (outcome.verdict == StepVerdict::Retry) outcome.verdict = StepVerdict::Fail;
    if (!baud_fallbacks.empty()) outcome.details["baud_fallbacks"] = baud_fallbacks;
    return outcome;
  }
}

// The step's result, committed to the DB before anything else happens, and its event. A DB that
// cannot take it interrupts the device (the station stops): nothing may go on unrecorded.
void record(DeviceContext& ctx, const StepDecl& step, StepOutcome& outcome, const std::string& started, double seconds,
            const Emit& emit) {
  if (const auto mac = ctx.mac(); !mac.empty()) {
    try {
      ctx.station.db.record_step({mac, ctx.station.run_id, step.name, outcome_name(outcome), started, seconds,
                                  outcome.measurements, outcome.reason, outcome.details});
    } catch (const Error& error) {
      const auto reason = fmt::format("{} (its result '{}' could not be recorded: {})", outcome.reason,
                                      outcome_name(outcome.verdict), error.describe());
      outcome = outcome_of(error);
      outcome.reason = reason;
      outcome.stop_station = true;
    }
  }
  emit(StationEvent::Kind::StepFinished, step.name, outcome_name(outcome), outcome.reason, seconds);
}

}  // namespace

std::string_view to_string(DeviceOutcome outcome) {
  switch (outcome) {
    case DeviceOutcome::Provisioned: return "provisioned";
    case DeviceOutcome::Rejected: return "rejected";
    case DeviceOutcome::Fault: return "fault";
    case DeviceOutcome::Skipped: return "skipped";
    case DeviceOutcome::Interrupted: return "interrupted";
  }
  return "?";
}

void DeviceContext::check_budget() const {
  if (current_ == nullptr || current_->budget.count() <= 0) return;
  const auto spent = std::chrono::steady_clock::now() - step_started_;
  if (spent <= current_->budget) return;
  throw TimeoutError(
      "station.step_budget",
      fmt::format("step {} ran past its budget of {} ms ({} ms)", current_->name, current_->budget.count(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(spent).count()),
      "the device or its link is slow: check the fixture's cable and port; raise the step's budget only if "
      "healthy devices need longer");
}

void DeviceContext::progress(const std::string& step, std::uint64_t done, std::uint64_t total) const {
  check_budget();
  if (!observer) return;
  StationEvent event;
  event.kind = StationEvent::Kind::StepProgress;
  event.fixture = fixture_name;
  event.mac = mac();
  event.serial = serial();
  event.step = step;
  event.done = done;
  event.total = total;
  observer(event);
}

const void* DeviceContext::any(std::type_index type) const {
  const auto it = outputs_.find(type);
  return it == outputs_.end() ? nullptr : it->second.get();
}

const void* DeviceContext::find(std::type_index type, const char* name, bool required) const {
  const std::string step = current_ ? current_->name : std::string("(no step)");
  if (current_ == nullptr ||
      std::find(current_->inputs.begin(), current_->inputs.end(), type) == current_->inputs.end()) {
    throw InternalError("station.undeclared_input",
                        fmt::format("step {} reads {}, which it does not declare as an input", step, name),
                        "declare it in the step's inputs (provisioning_steps.cpp)");
  }
  const void* value = any(type);
  if (value == nullptr && required) {
    throw InternalError("station.missing_input",
                        fmt::format("step {} reads {}, which no step before it produced", step, name),
                        "order the steps so that its producer runs first, or give the producer a rebuild for "
                        "resumed runs");
  }
  return value;
}

void DeviceContext::release(std::type_index type, const char* name) {
  find(type, name, false);  // declared
  outputs_.erase(type);
}

void DeviceContext::store(const StepDecl& step, const StepOutput& output) {
  if (!step.output || output.type() != step.output) {
    throw InternalError("station.wrong_output",
                        fmt::format("step {} returned {} instead of the output it declares", step.name,
                                    output.empty() ? "no output" : "another type"),
                        "return the declared output type from the step body");
  }
  outputs_[*step.output] = output.value();
  // The device's names outlive the outputs (teardown wipes those before the record is written).
  if (const auto* connected = static_cast<const ConnectResult*>(any(typeid(ConnectResult)))) {
    mac_ = connected->mac;
    if (serial_.empty() || *step.output == std::type_index(typeid(ConnectResult))) serial_ = connected->serial;
  }
  if (const auto* allocated = static_cast<const SerialAllocation*>(any(typeid(SerialAllocation)))) {
    serial_ = allocated->serial;
  }
}

void DeviceContext::wipe_secrets() {
  background.clear();  // waits for work still running; its results go like the outputs
  outputs_.clear();    // EVP_PKEY_free clears a private key; SecretBytes wipe on destruction
}

DeviceResult run_pipeline(DeviceContext& ctx, const std::vector<StepDecl>& steps, const StepDecl* on_reject) {
  const auto device_start = std::chrono::steady_clock::now();
  const double device_cpu_start = thread_cpu_seconds();
  DeviceResult result;
  result.fixture = ctx.fixture_name;
  result.outcome = DeviceOutcome::Provisioned;
  auto emit = [&](StationEvent::Kind kind, const std::string& step = {}, const std::string& outcome = {},
                  const std::string& message = {}, double seconds = 0) {
    if (!ctx.observer) return;
    StationEvent event;
    event.kind = kind;
    event.fixture = ctx.fixture_name;
    event.mac = ctx.mac();
    event.serial = ctx.serial();
    event.step = step;
    event.outcome = outcome;
    event.message = message;
    event.seconds = seconds;
    ctx.observer(event);
  };
  // Ends the device with `outcome` at `step`.
  const auto end_with = [&](DeviceOutcome outcome, const std::string& step, const StepOutcome& step_outcome) {
    result.outcome = outcome;
    result.reason = step_outcome.verdict == StepVerdict::Skip ? step_outcome.reason
                                                              : fmt::format("{}: {}", step, step_outcome.reason);
    result.stop_station = step_outcome.stop_station;
  };
  emit(StationEvent::Kind::DeviceStarted);

  for (std::size_t index = 0; index < steps.size(); ++index) {
    const StepDecl& step = steps[index];
    // A step boundary is a safe point: every earlier step is committed, no eFuse batch is open.
    if (index > 0 && ctx.station.stop_now != nullptr && ctx.station.stop_now->load()) {
      result.outcome = DeviceOutcome::Interrupted;
      result.reason =
          fmt::format("stopped by the operator before {} (resumable: the next run goes on from there)", step.name);
      break;
    }
    const std::string started = utc_now_iso();
    bool done = false;
    try {
      done = index > 0 && step.skip_when_done && ctx.station.db.step_done(ctx.mac(), step.name);
      if (done) {
        // The output the skipped step produced in its run, rebuilt for the steps after it.
        if (step.rebuild) {
          ctx.begin_step(&step);
          auto output = step.rebuild(ctx);
          ctx.store(step, output);
          ctx.begin_step(nullptr);
        }
        ctx.station.db.record_step({ctx.mac(),
                                    ctx.station.run_id,
                                    step.name,
                                    "skipped",
                                    started,
                                    0.0,
                                    nlohmann::json::array(),
                                    "",
                                    {{"reason", "done in an earlier run"}}});
      }
    } catch (const Error& error) {
      ctx.begin_step(nullptr);
      end_with(DeviceOutcome::Interrupted, step.name, outcome_of(error));
      result.stop_station = true;
      break;
    }
    if (done) {
      emit(StationEvent::Kind::StepFinished, step.name, "skipped", "done in an earlier run");
      continue;
    }
    emit(StationEvent::Kind::StepStarted, step.name);
    const auto step_start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    StepOutcome outcome = attempt_step(ctx, step, emit);
    // The station's own CPU for the step on this device's thread (work it started in the
    // background is counted where it ran): bench/station adds these up per step.
    outcome.details["host_cpu_ms"] = std::round((thread_cpu_seconds() - cpu_start) * 1e5) / 100;
    // Once anything irreversible happened, a failure is a fault for an engineer, not a reject.
    if (outcome.verdict == StepVerdict::Fail && (ctx.security_burned() || step.irreversible)) {
      outcome.verdict = StepVerdict::Stop;
    }
    record(ctx, step, outcome, started, seconds_since(step_start), emit);
    if (outcome.verdict == StepVerdict::Skip) {
      end_with(DeviceOutcome::Skipped, step.name, outcome);
      break;
    }
    if (outcome.verdict == StepVerdict::Fail) {
      end_with(DeviceOutcome::Rejected, step.name, outcome);
      break;
    }
    if (outcome.verdict == StepVerdict::Stop) {
      end_with(DeviceOutcome::Fault, step.name, outcome);
      break;
    }
    if (outcome.verdict == StepVerdict::Interrupt) {
      end_with(DeviceOutcome::Interrupted, step.name, outcome);
      break;
    }
  }

  if (result.outcome == DeviceOutcome::Rejected && on_reject != nullptr && !ctx.mac().empty()) {
    // The device may not leave the fixture with anything it must not keep (its identity).
    StepDecl pipeline;
    pipeline.name = "pipeline";
    pipeline.output = output_of<Rejection>();
    ctx.store(pipeline, StepOutput::of(Rejection{result.reason}));
    const std::string started = utc_now_iso();
    emit(StationEvent::Kind::StepStarted, on_reject->name);
    const auto step_start = std::chrono::steady_clock::now();
    StepOutcome outcome = attempt_step(ctx, *on_reject, emit);
    if (outcome.verdict == StepVerdict::Fail) outcome.verdict = StepVerdict::Stop;
    record(ctx, *on_reject, outcome, started, seconds_since(step_start), emit);
    if (outcome.verdict == StepVerdict::Stop || outcome.verdict == StepVerdict::Interrupt) {
      result.outcome = outcome.verdict == StepVerdict::Stop ? DeviceOutcome::Fault : DeviceOutcome::Interrupted;
      result.reason += fmt::format("; then {}: {}", on_reject->name, outcome.reason);
      result.stop_station = outcome.stop_station;
    }
  }

  // Teardown: always.
  ctx.wipe_secrets();  // every output goes: keys, the identity partition
  ctx.add_console(ctx.fixture.take_console());
  result.mac = ctx.mac();
  result.serial = ctx.serial();
  result.seconds = seconds_since(device_start);
  if (!result.mac.empty() && result.outcome != DeviceOutcome::Skipped) {
    try {
      // An interrupted device stays in progress: the next run resumes it where the DB says.
      const auto status = result.outcome == DeviceOutcome::Interrupted ? std::string("in_progress")
                                                                       : std::string(to_string(result.outcome));
      ctx.station.db.set_status(result.mac, status, result.reason);
      result.record = write_device_record(ctx, result).string();
    } catch (const Error& error) {
      // The DB or the disk failed: the device is not blamed; the station stops.
      if (result.outcome != DeviceOutcome::Fault) result.outcome = DeviceOutcome::Interrupted;
      result.stop_station = true;
      result.reason += (result.reason.empty() ? "" : "; ") + std::string("record not written: ") + error.describe();
    }
  }
  ctx.fixture.close_session();
  result.host_cpu_seconds = thread_cpu_seconds() - device_cpu_start;
  emit(StationEvent::Kind::DeviceFinished, "", std::string(to_string(result.outcome)), result.reason, result.seconds);
  return result;
}

}  // namespace espfab::station
