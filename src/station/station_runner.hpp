// The station run: one worker thread per fixture, each waiting for a device on its port,
// provisioning it through the pipeline and waiting for the next; shared images, compressed-image
// cache, station DB, CA and audit log. Cancellation is cooperative (between devices and while
// waiting); no thread is ever killed.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "station/fixture_controls.hpp"
#include "station/pipeline.hpp"
#include "station/station_events.hpp"
#include "station/station_profile.hpp"

namespace espfab::station {

struct RunOptions {
  std::vector<std::string> ports;        // overrides the profile's [fixtures] ports when not empty
  std::optional<unsigned> count;         // stop after this many devices (all fixtures together)
  std::chrono::milliseconds poll{1000};  // how often an idle fixture looks for a new device
  // A fixture that sees no new device for this long stops (unset: waits until cancelled).
  std::optional<std::chrono::milliseconds> idle_timeout;
  // Set (first Ctrl-C, "stop after current devices"): no fixture takes a new device.
  const std::atomic<bool>* cancel = nullptr;
  // Set (second Ctrl-C): every device stops at its next step boundary (never inside an eFuse batch)
  // and stays in_progress, resumed by the next run.
  const std::atomic<bool>* stop_now = nullptr;
  // Pause and fault hold from the dashboard (fixture_controls.hpp); none: a fault stops its fixture.
  FixtureControls* controls = nullptr;
  std::string code_version;
  // Appended to the audit log once the run holds its data dir (e.g. "station.no_rehearsal").
  std::vector<AuditEntry> audit_at_start;
};

// How a fixture's worker ended. Every worker ends through one path that says why.
enum class FixtureState {
  Finished,  // the count was reached, no device came in time, or the run was cancelled
  Fault,     // stopped for an engineer after a device fault (see the device's record)
  Stopped,   // stopped by an error of its own (port that cannot be opened) or of the station
};
std::string_view to_string(FixtureState state);

struct FixtureReport {
  std::string name;  // "fixture 1"
  std::string url;
  FixtureState state = FixtureState::Finished;
  std::string reason;
};

struct RunSummary {
  std::string run_id;
  std::vector<DeviceResult> devices;
  std::vector<FixtureReport> fixtures;  // one per port, in order
  std::string station_stopped;          // why every fixture was stopped (a DB, disk or CA failure), or ""
  std::filesystem::path records_dir;
  std::filesystem::path labels_dir;
  std::string database;  // the SQLite file, or "postgresql host:port/db"
  std::filesystem::path audit_log;
  std::vector<std::string> warnings;  // the preflight's warnings ("check: where: message")
  std::size_t outbox_pending = 0;     // registrations and labels still queued at the end (retried next run)
  std::size_t serials_returned = 0;   // [station] serial_lease: unused serials returned to the line's pool
  double seconds = 0;
};

RunSummary run_station(const StationProfile& profile, const RunOptions& options, const StationObserver& observer);

// Where a profile's station keeps things.
std::filesystem::path database_path(const StationProfile& profile);
std::filesystem::path audit_log_path(const StationProfile& profile);
std::filesystem::path records_path(const StationProfile& profile);

}  // namespace espfab::station
