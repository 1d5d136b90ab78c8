// What the station commands that work on a data dir outside a run share: the station DB of a
// profile (which must exist) and one of its devices by MAC or serial, with errors that say what to do.
#pragma once

#include <memory>
#include <string>

#include "station/station_db.hpp"
#include "station/station_profile.hpp"

namespace espfab::service {

// Throws BadInputError("service.no_station_db") when the profile's station has no DB yet.
std::unique_ptr<station::StationDb> open_existing_db(const station::StationProfile& profile,
                                                     station::DbAccess access = station::DbAccess::ReadWrite);

// Throws BadInputError("service.unknown_device") when the DB has no such MAC or serial.
station::DeviceRow find_existing_device(station::StationDb& db, const station::StationProfile& profile,
                                        const std::string& device);

}  // namespace espfab::service
