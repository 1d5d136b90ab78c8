// The pipeline: steps as declarations (name, retry policy, irreversible flag, whether a done
// result in the DB lets a resumed run skip it, the typed outputs it reads and the one it produces)
// with a body each. A body returns Continue, Fail
// (the device goes to Reject/Repair), Retry (run it again, up to the step's attempts) or Stop (a
// serious fault: the fixture stops for an engineer). Every step's result is committed to the
// station DB before the next starts; teardown (keys wiped, record written) always runs.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "flash/compressed_cache.hpp"
#include "pki/ca_backend.hpp"
#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"
#include "station/audit_log.hpp"
#include "station/background_work.hpp"
#include "station/firmware_set.hpp"
#include "station/fixture_link.hpp"
#include "station/outbox.hpp"
#include "station/station_db.hpp"
#include "station/station_events.hpp"
#include "station/station_profile.hpp"
#include "util/crypto.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::station {

class SerialLease;

// What every fixture shares during a run.
struct StationResources {
  const StationProfile& profile;
  const FirmwareSet& firmware;
  StationDb& db;
  AuditLog& audit;
  pki::CaBackend& ca;
  Outbox& outbox;  // registrations and labels
  flash::CompressionCache& cache;
  std::string run_id;
  std::string code_version;
  std::filesystem::path records_dir;
  SerialLease* serial_lease = nullptr;  // [station] serial_lease: serials come from it, not the DB
  // Set: the device stops before its next step (interrupted, resumable; RunOptions::stop_now).
  const std::atomic<bool>* stop_now = nullptr;
};

struct StepDecl;

// A step's typed output (step_outputs.hpp: ConnectResult, SerialAllocation, IssuedIdentity, ...),
// type-erased for the pipeline's store. Move-only values (keys) are fine: the store owns them.
class StepOutput {
 public:
  StepOutput() = default;
  template <class T>
  static StepOutput of(T value) {
    StepOutput out;
    out.type_ = std::type_index(typeid(T));
    out.value_ = std::make_shared<T>(std::move(value));
    return out;
  }
  bool empty() const noexcept { return !value_; }
  std::optional<std::type_index> type() const noexcept { return type_; }
  const std::shared_ptr<void>& value() const noexcept { return value_; }

 private:
  std::optional<std::type_index> type_;
  std::shared_ptr<void> value_;
};

// One device on one fixture, from connect to teardown: the environment a step body works in (the
// station's resources, the fixture link, the observer) and the outputs of the steps before it. A
// body reads only the outputs its declaration names as inputs, const; an undeclared input or one
// no step has produced yet is an InternalError (station.undeclared_input / station.missing_input).
// Key material lives in outputs only, and the outputs are destroyed (keys wiped) at teardown.
class DeviceContext {
 public:
  DeviceContext(StationResources& station_, FixtureLink& fixture_, std::string fixture_name_, StationObserver observer_)
      : station(station_), fixture(fixture_), fixture_name(std::move(fixture_name_)), observer(std::move(observer_)) {}
  StationResources& station;
  FixtureLink& fixture;
  std::string fixture_name;
  StationObserver observer;
  // Host work started by a step for a later one, running while the device is busy
  // (background_work.hpp); cleared, secrets wiped, at teardown.
  BackgroundWork background;
  // The device's eFuses as this station last read or burned them, in the fixture's loader session
  // `session` (FixtureLink::session_number): valid while that session lasts, so a burn right after
  // plan-security's read, or after an earlier burn, does not read them all again.
  struct KnownEfuses {
    std::uint64_t session = 0;
    security::EfuseImage image;
  };
  std::optional<KnownEfuses> known_efuses;

  // A declared input: present, or InternalError.
  template <class T>
  const T& input() const {
    const void* value = find(std::type_index(typeid(T)), typeid(T).name(), true);
    return *static_cast<const T*>(value);
  }
  // A declared input that an earlier step may not have produced (retire-identity runs after a
  // reject at any step): nullptr when absent.
  template <class T>
  const T* optional_input() const {
    return static_cast<const T*>(find(std::type_index(typeid(T)), typeid(T).name(), false));
  }
  // Destroys a declared input now (a secret the rest of the run must not keep, e.g. the
  // flash-encryption key once the boot is proven); later reads are InternalErrors.
  template <class T>
  void release() {
    release(std::type_index(typeid(T)), typeid(T).name());
  }

  // Something irreversible happened to (or was found on) the device in this run: from now on a
  // failure is a fault for an engineer. Set before an eFuse program cycle starts.
  void mark_security_burned() noexcept { security_burned_ = true; }
  // Boot console text a step read, for the device record.
  void add_console(const std::string& text) { console_ += text; }
  // A progress event; throws TimeoutError (station.step_budget) when the running step is past its
  // budget, so a slow flash write stops between blocks.
  void progress(const std::string& step, std::uint64_t done, std::uint64_t total) const;
  // Throws TimeoutError (station.step_budget) when the running step is past its budget.
  void check_budget() const;

  // The pipeline's side (records, events, the harness): the device's MAC once identified (from
  // ConnectResult), its serial (SerialAllocation, else ConnectResult's), the console transcript.
  const std::string& mac() const noexcept { return mac_; }
  const std::string& serial() const noexcept { return serial_; }
  const std::string& console() const noexcept { return console_; }
  bool security_burned() const noexcept { return security_burned_; }
  // The step whose body (or rebuild) runs now; nullptr between steps.
  void begin_step(const StepDecl* step) noexcept {
    current_ = step;
    step_started_ = std::chrono::steady_clock::now();
  }
  // Stores `output` as produced by `step`: it must be the type the step declares (InternalError).
  void store(const StepDecl& step, const StepOutput& output);
  // Outputs held (for tests: empty after teardown).
  std::size_t output_count() const noexcept { return outputs_.size(); }
  void wipe_secrets();  // destroys every output

 private:
  const void* find(std::type_index type, const char* name, bool required) const;
  void release(std::type_index type, const char* name);
  const void* any(std::type_index type) const;

  const StepDecl* current_ = nullptr;
  std::chrono::steady_clock::time_point step_started_{};
  std::map<std::type_index, std::shared_ptr<void>> outputs_;
  bool security_burned_ = false;
  std::string console_;  // boot consoles, for the record
  std::string mac_;
  std::string serial_;
};

// Continue: next step. Fail: Reject/Repair. Retry: run the step again (up to its attempts). Stop: a
// fault of the device after something irreversible (for an engineer). Skip: the device needs
// nothing (already provisioned, or locked by someone else and left untouched). Interrupt: the
// station itself failed (docs/errors.md): the device is not blamed and stays resumable; the
// fixture stops (and with `stop_station` every fixture).
enum class StepVerdict { Continue, Fail, Retry, Stop, Skip, Interrupt };

struct StepOutcome {
  StepOutcome() = default;
  StepOutcome(StepVerdict verdict_, std::string reason_, nlohmann::json measurements_ = nlohmann::json::array(),
              nlohmann::json details_ = nlohmann::json::object())
      : verdict(verdict_),
        reason(std::move(reason_)),
        measurements(std::move(measurements_)),
        details(std::move(details_)) {}
  StepVerdict verdict = StepVerdict::Continue;
  std::string reason;
  nlohmann::json measurements = nlohmann::json::array();
  nlohmann::json details = nlohmann::json::object();
  bool stop_station = false;  // with Interrupt: the error concerns every fixture (DB, disk, CA)
  // With Continue: the step checked nothing (not asked for by the profile, or not possible yet):
  // recorded as "skipped" with its note, never as a pass.
  bool checked_nothing = false;
  // The step's typed output (the type its declaration names): required with Continue; a step
  // that identifies the device (connect) returns it with Fail and Skip too.
  StepOutput output;
};

// A step: its name, retry policy, whether it is irreversible, whether a done result in the DB lets
// a resumed run skip it, the outputs it reads (inputs) and the one it produces, and its body.
// `rebuild` makes the output of a step a resumed run skips from what the DB holds (the issued
// certificate), so the steps after it read the same values as when it ran.
struct StepDecl {
  std::string name;
  unsigned attempts = 1;  // a body's Retry or a transient error (timeout, link) runs it again
  bool irreversible = false;
  bool skip_when_done = true;  // a resumed run skips the step when the DB holds its pass
  std::function<StepOutcome(DeviceContext&)> body;
  std::vector<std::type_index> inputs{};
  std::optional<std::type_index> output{};
  std::function<StepOutput(DeviceContext&)> rebuild{};
  // The time one attempt may take; zero: no limit. Past it the attempt ends with a TimeoutError
  // (station.step_budget, retried like any timeout). The budget is enforced where it is safe to
  // stop: at the step's progress points (DeviceContext::progress, i.e. between flash blocks) and,
  // for a reversible step, when its body returns. An irreversible step is never cut at its end
  // and its eFuse batches report no progress: a program cycle is never abandoned halfway.
  std::chrono::milliseconds budget{0};
};

// The inputs of a declaration: `inputs_of<ConnectResult, SerialAllocation>()`.
template <class... T>
std::vector<std::type_index> inputs_of() {
  return {std::type_index(typeid(T))...};
}
template <class T>
std::optional<std::type_index> output_of() {
  return std::type_index(typeid(T));
}

// What the pipeline itself gives the on-reject step: why the device was rejected.
struct Rejection {
  std::string reason;
};

// How a device's time in the fixture ended.
enum class DeviceOutcome {
  Provisioned,
  Rejected,     // Reject/Repair: nothing irreversible happened (or the chip was refused untouched)
  Fault,        // for an engineer: the chip has irreversible eFuses but did not end as planned
  Skipped,      // nothing to do (already provisioned, locked by someone else)
  Interrupted,  // the station failed, not the device: its state is kept, a later run resumes it
};
std::string_view to_string(DeviceOutcome outcome);

struct DeviceResult {
  std::string fixture;
  std::string mac;
  std::string serial;
  DeviceOutcome outcome = DeviceOutcome::Provisioned;
  std::string reason;
  double seconds = 0;
  double host_cpu_seconds = 0;  // CPU of the device's thread, steps and their records included
  std::string record;           // path of the device record
  bool stop_station = false;    // Interrupted by an error that concerns every fixture
};

// Runs `steps` for the device on ctx.fixture. The first step must identify the device (return a
// ConnectResult with its MAC). When the device is rejected, `on_reject` (if given) runs before the fixture lets it
// go, recorded like a step; if it does not pass, the device is a fault instead. Never throws for
// device problems: they end as rejected/fault results.
DeviceResult run_pipeline(DeviceContext& ctx, const std::vector<StepDecl>& steps, const StepDecl* on_reject = nullptr);

}  // namespace espfab::station
