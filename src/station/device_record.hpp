// The device record: everything the station knows about one device, in the spirit of an OpenHTF
// test record (station, code version, profile hash, every step with its measurements, limits,
// durations and errors, console excerpts, eFuses after, certificate fingerprint, serial, outbox
// states). Built from the station DB, written atomically as <records>/<serial or MAC>.json.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>

#include "station/pipeline.hpp"

namespace espfab::station {

nlohmann::json build_device_record(StationDb& db, const std::string& mac);
// <records>/<serial or MAC>.json (':' and '/' replaced by '-').
std::filesystem::path record_file(const std::filesystem::path& records_dir, const std::string& serial,
                                  const std::string& mac);
// Rewrites an existing record's "handoff" section from the DB (after a late outbox delivery).
void refresh_record_handoff(StationDb& db, const std::filesystem::path& records_dir, const std::string& mac);
std::filesystem::path write_device_record(const DeviceContext& ctx, const DeviceResult& result);

}  // namespace espfab::station
