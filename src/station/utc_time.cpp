// The station's timestamps: ISO-8601 UTC with milliseconds, as in the DB, records and logs.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include "station/station_db.hpp"

namespace espfab::station {

std::string utc_now_iso() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms);
}

}  // namespace espfab::station
