#include "service/station_db_access.hpp"

#include <fmt/format.h>

#include "station/station_db_factory.hpp"
#include "station/station_runner.hpp"
#include "util/error.hpp"

namespace espfab::service {

std::unique_ptr<station::StationDb> open_existing_db(const station::StationProfile& profile, station::DbAccess access) {
  if (!station::profile_db_exists(profile)) {
    throw BadInputError("service.no_station_db",
                        fmt::format("no station DB at {}", station::describe_station_db(profile)),
                        "run the station with this profile first (espfab run --profile ...)");
  }
  return station::open_profile_db(profile, access);
}

station::DeviceRow find_existing_device(station::StationDb& db, const station::StationProfile& profile,
                                        const std::string& device) {
  auto row = db.find_device(device);
  if (!row) {
    throw BadInputError("service.unknown_device",
                        fmt::format("no device {} in {}", device, station::describe_station_db(profile)),
                        "give the MAC (7c:df:a1:00:00:01) or the serial number of a device this station handled");
  }
  return *row;
}

}  // namespace espfab::service
