// Rehearsal: the exact profile, run end to end on one virtual ESP32-S3 (espfab-emu) before any real
// chip is touched — the real images, Secure Boot signatures, eFuse plan, partition table and
// identity container — with a throw-away CA, a manifest registrar and a label directory standing in
// for the company CA, the broker and the printer (nothing issued, nothing registered). The
// rehearsed chip must boot locked: the ROM and bootloader accept the signatures, the flash
// decrypts, the app starts from ota_0 and finds its identity where the partition table says.
//
// Each rehearsal is appended to <data_dir>/rehearsals.jsonl with the profile's content hash
// (station/preflight.hpp); `espfab run` refuses a content hash that has not passed one.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "station/pipeline.hpp"
#include "station/station_events.hpp"

namespace espfab::service {

struct RehearsalRequest {
  std::filesystem::path profile;
  std::filesystem::path emulator;  // the espfab-emu program
};

struct RehearsalCheck {
  std::string what;
  std::string how;  // how the rehearsal showed it (real) or what stood in for the product (modelled)
};

struct RehearsalResult {
  bool passed = false;
  std::string reason;  // why not
  std::string content_hash;
  double seconds = 0;
  std::filesystem::path dir;     // <data_dir>/rehearsal: profile, CA, emulator state, station data
  station::DeviceResult device;  // the rehearsed device's result and record
  std::vector<RehearsalCheck> real;
  std::vector<RehearsalCheck> modelled;
};

RehearsalResult rehearse(const RehearsalRequest& request, const std::string& code_version,
                         const station::StationObserver& observer);

nlohmann::json to_json(const RehearsalResult& result);

// True when <data_dir>/rehearsals.jsonl holds a passed rehearsal of `content_hash`.
bool rehearsal_passed(const std::filesystem::path& data_dir, const std::string& content_hash);

}  // namespace espfab::service
