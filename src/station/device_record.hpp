// The device record: everything the station knows about one device, in the spirit of an OpenHTF
// test record (station, code version, profile hash, every step with its measurements, limits,
// durations and errors, console excerpts, eFuses after, certificate fingerprint, serial, outbox
// states). Built from the station DB, written atomically as <records>/<serial or MAC>.json.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

#include "station/pipeline.hpp"

namespace espfab::station {

// One time a device went through the station: the steps of one run, in order. A reworked device
// has several; its record holds them all.
struct Attempt {
  std::string run_id;
  std::string started;  // of its first step
  double seconds = 0;   // the steps' time
  // provisioned, rejected, fault, scrapped, in_progress (the last attempt: the device's status);
  // an earlier one: rejected (a step failed), fault (a step ended in error) or unfinished.
  std::string result;
  std::string failed_step;    // the first step that failed or ended in error; "" when none did
  std::string reject_reason;  // "factory-test: gpio.4_5" (failed measurements), "flash (link.timeout)", the step
  std::string error;          // that step's error text
  std::vector<StepRow> steps;
};

// The attempts in `steps` (a device's rows, oldest first), grouped by run.
std::vector<Attempt> device_attempts(const DeviceRow& device, const std::vector<StepRow>& steps);

// The record of one device from the DB alone (no profile, images or keys needed): its steps, its
// attempts with the station, code version, profile hash and image hashes of each one's run, the
// certificate, eFuse snapshots and outbox states.
nlohmann::json build_device_record(StationDb& db, const std::string& mac);
// <records>/<serial or MAC>.json (':' and '/' replaced by '-'). One file per device: once the
// device has a serial, writing its record removes the MAC-named one of an earlier attempt.
std::filesystem::path record_file(const std::filesystem::path& records_dir, const std::string& serial,
                                  const std::string& mac);
// Rewrites an existing record's "handoff" section from the DB (after a late outbox delivery).
void refresh_record_handoff(StationDb& db, const std::filesystem::path& records_dir, const std::string& mac);
std::filesystem::path write_device_record(const DeviceContext& ctx, const DeviceResult& result);

}  // namespace espfab::station
