// The pipeline: steps as declarations (name, retry policy, irreversible flag, whether a done
// result in the DB lets a resumed run skip it) with a body each. A body returns Continue, Fail
// (the device goes to Reject/Repair), Retry (run it again, up to the step's attempts) or Stop (a
// serious fault: the fixture stops for an engineer). Every step's result is committed to the
// station DB before the next starts; teardown (keys wiped, record written) always runs.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flash/compressed_cache.hpp"
#include "pki/ca_backend.hpp"
#include "security/burn_plan.hpp"
#include "security/efuse_image.hpp"
#include "security/flash_encryption.hpp"
#include "station/audit_log.hpp"
#include "station/firmware_set.hpp"
#include "station/fixture_link.hpp"
#include "station/outbox.hpp"
#include "station/station_db.hpp"
#include "station/station_events.hpp"
#include "station/station_profile.hpp"
#include "util/crypto.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::station {

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
};

// One device on one fixture, from connect to teardown. Key material lives here only between the
// steps that need it and is wiped at teardown.
struct DeviceContext {
  DeviceContext(StationResources& station_, FixtureLink& fixture_, std::string fixture_name_, StationObserver observer_)
      : station(station_), fixture(fixture_), fixture_name(std::move(fixture_name_)), observer(std::move(observer_)) {}
  StationResources& station;
  FixtureLink& fixture;
  std::string fixture_name;
  StationObserver observer;
  std::string mac;
  std::string serial;
  security::EfuseImage efuses;  // newest read
  std::optional<security::EfuseImage> planned_from;
  std::optional<security::BurnPlan> plan;
  std::optional<security::FlashEncryptionKey> fe_key;
  bool fe_key_fresh = false;  // generated in this run: the flash must be written with it
  crypto::EvpPkeyPtr device_key;
  SecretBytes secure_cert_partition;  // built in inject-identity, written encrypted in flash-production
  std::string certificate_pem;
  std::string certificate_sha256;
  bool security_burned = false;  // anything irreversible happened to this device in this run
  std::string reject_reason;     // set before the pipeline's on-reject step runs
  std::string console;           // boot consoles, for the record

  void progress(const std::string& step, std::uint64_t done, std::uint64_t total) const;
  void wipe_secrets();
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
};

struct StepDecl {
  std::string name;
  unsigned attempts = 1;  // a body's Retry or a transient error (timeout, link) runs it again
  bool irreversible = false;
  bool skip_when_done = true;  // a resumed run skips the step when the DB holds its pass
  std::function<StepOutcome(DeviceContext&)> body;
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
  std::string record;         // path of the device record
  bool stop_station = false;  // Interrupted by an error that concerns every fixture
};

// Runs `steps` for the device on ctx.fixture. The first step must identify the device (set
// ctx.mac). When the device is rejected, `on_reject` (if given) runs before the fixture lets it
// go, recorded like a step; if it does not pass, the device is a fault instead. Never throws for
// device problems: they end as rejected/fault results.
DeviceResult run_pipeline(DeviceContext& ctx, const std::vector<StepDecl>& steps, const StepDecl* on_reject = nullptr);

}  // namespace espfab::station
