// StationService: every station operation once — run a profile on its fixtures, the demo, reports
// from the station DB, the audit-log check — so the CLI and the web dashboard call the same code.
// Events go to the caller's observer and, as JSON lines, to <data_dir>/events.jsonl.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "service/rehearsal.hpp"
#include "station/audit_log.hpp"
#include "station/fixture_controls.hpp"
#include "station/preflight.hpp"
#include "station/station_runner.hpp"
#include "util/bytes.hpp"

namespace espfab::service {

struct RunRequest {
  std::filesystem::path profile;
  std::vector<std::string> ports;  // instead of the profile's fixtures
  std::optional<unsigned> count;
  std::optional<std::chrono::milliseconds> idle_timeout;
  const std::atomic<bool>* cancel = nullptr;     // no new device (station::RunOptions::cancel)
  const std::atomic<bool>* stop_now = nullptr;   // stop at the next step boundary (RunOptions::stop_now)
  station::FixtureControls* controls = nullptr;  // pause, fault hold (the dashboard)
  bool probe_targets = true;                     // the preflight tries the broker and the label printer (warnings)
  // Run a profile whose content hash has not passed a rehearsal (recorded in the audit log).
  bool no_rehearsal = false;
};

struct DemoRequest {
  std::filesystem::path dir;       // demo CA, key, images, profile, station data
  std::filesystem::path emulator;  // the espfab-emu program
  unsigned devices = 6;
  bool realtime = false;                      // the emulator's true-to-life link timing
  std::size_t production_app_code = 0x40000;  // code bytes in the demo's production app
  bool run = true;                            // false: only make the assets (CA, key, images, profile)
};

struct DemoDevice {
  unsigned index = 0;
  std::string mac;
  std::string fault;  // the emulator fault knobs of this device ("" = healthy)
};

struct DemoResult {
  station::RunSummary summary;
  std::filesystem::path dir;
  std::filesystem::path profile;
  std::vector<DemoDevice> devices;
  std::string registration;   // "mosquitto at mqtts://localhost:PORT" or why the manifest stands in
  RehearsalResult rehearsal;  // of the demo profile, before the run
};

struct ReportFilter {
  std::string device;  // MAC or serial; empty = all
  // As the user gave it (station::since_to_iso): "2026-12-02", "yesterday", "7d"; empty = all.
  std::string since;
};

class StationService {
 public:
  explicit StationService(std::string code_version) : code_version_(std::move(code_version)) {}
  // The preflight of `profile` (everything that needs no device; station/preflight.hpp).
  station::PreflightReport check(const std::filesystem::path& profile, const station::PreflightOptions& options = {});
  // The same, with [images] taken from the ESP-IDF build directory `idf_build` instead of what the
  // profile names (its bootloader, partition_table, production_app and idf_build keys): "would this
  // build run on this line?" before the profile is changed. A copy of the profile with that
  // [images] is written beside it (so its relative paths stay valid) and removed after; the report
  // names the original profile.
  station::PreflightReport check_with_idf_build(const std::filesystem::path& profile,
                                                const std::filesystem::path& idf_build,
                                                const station::PreflightOptions& options = {});
  // The profile end to end on one virtual chip (service/rehearsal.hpp), recorded in the data dir.
  RehearsalResult rehearse(const RehearsalRequest& request, const station::StationObserver& observer);
  // Runs the preflight first: with any error, throws BadInputError("station.preflight") listing
  // them and touches no fixture; its warnings go to the observer and the events log. Then refuses
  // (PolicyRefusalError "station.not_rehearsed") a profile whose content hash has not passed a
  // rehearsal, unless request.no_rehearsal (an audit line says so).
  station::RunSummary run(const RunRequest& request, const station::StationObserver& observer);
  DemoResult demo(const DemoRequest& request, const station::StationObserver& observer);
  // One summary object per device ({serial, mac, status, fixture, station, attempts, updated,
  // certificate_sha256, reason}), or with `filter.device` the device's full record. Reads the DB
  // only: works on an archived data dir without the profile's images and keys.
  std::vector<nlohmann::json> report(const std::filesystem::path& profile, const ReportFilter& filter);
  // The factory's figures (station/production_summary.hpp); `by`: "", station, fixture, day, reason.
  nlohmann::json report_summary(const std::filesystem::path& profile, const std::string& since, const std::string& by);
  // Brings the profile's station DB to the schema this binary knows (creating it when missing).
  station::Migration migrate_db(const std::filesystem::path& profile);
  station::AuditVerification verify_audit(const std::filesystem::path& profile);
  // Operator recovery (docs/station.md, "Faults and recovery"): a device's state and last steps;
  // resume a faulted (or interrupted) device the next time its fixture sees it; scrap a device
  // (status scrapped, certificate revoked). Each writes an audit line with the operator's reason.
  nlohmann::json device_status(const std::filesystem::path& profile, const std::string& device);
  // `operator_name`: who asked, for the audit line (empty: the process's login name, as the CLI).
  nlohmann::json device_resume(const std::filesystem::path& profile, const std::string& device,
                               const std::string& reason, const std::string& operator_name = {});
  nlohmann::json device_scrap(const std::filesystem::path& profile, const std::string& device,
                              const std::string& reason, const std::string& operator_name = {});
  // Prints a provisioned device's label again on the profile's label printer, with the date of its
  // first label; audit line `label.reprint` with the operator. Returns what the printer did.
  std::string reprint_label(const std::filesystem::path& profile, const std::string& device,
                            const std::string& operator_name);
  // The label of a provisioned device as the printer got it, rendered as PNG (a preview).
  Bytes label_png(const std::filesystem::path& profile, const std::string& device);
  // An operator's action on the running station (pause, resume, stop) as an audit line.
  void audit_operator_action(const std::filesystem::path& profile, const std::string& action,
                             const std::string& operator_name, nlohmann::json details);
  // Registers a provisioned device (MAC or serial in the station DB) with the profile's registrar
  // now, outside a run; a queued registration in the outbox is marked delivered. Returns what
  // the registrar did.
  std::string register_device(const std::filesystem::path& profile, const std::string& device);
  // Removes a device (MAC or serial in the station DB, or a bare device id) from the allowed list.
  std::string deregister_device(const std::filesystem::path& profile, const std::string& device);

 private:
  std::string code_version_;
};

// The demo's faulty devices: index -> emulator fault knobs.
std::vector<DemoDevice> demo_device_plan(unsigned devices);

}  // namespace espfab::service
