// StationService's register/deregister: one device, by hand, with the profile's registrar.
#include <fmt/format.h>

#include "service/station_db_access.hpp"
#include "service/station_service.hpp"
#include "station/device_record.hpp"
#include "station/handoff_targets.hpp"
#include "station/outbox.hpp"
#include "station/station_db.hpp"
#include "station/station_db_factory.hpp"
#include "station/station_runner.hpp"
#include "util/error.hpp"

namespace espfab::service {

std::string StationService::register_device(const std::filesystem::path& profile_path, const std::string& device) {
  const auto profile = station::load_station_profile(profile_path);
  const auto db = open_existing_db(profile);
  const auto row = find_existing_device(*db, profile, device);
  const auto certificate = db->certificate(row.mac);
  if (row.serial.empty() || !certificate) {
    throw PolicyRefusalError("service.not_provisioned",
                             fmt::format("device {} has no serial and certificate yet (status {})", device, row.status),
                             "only a device that got its identity can be registered; finish provisioning it first");
  }
  const auto registrar = station::make_registrar(profile);
  auto result = registrar->register_device({row.serial, row.mac, certificate->pem});
  for (const auto& item : db->outbox(row.mac)) {
    if (item.kind == station::kRegisterItem && item.state != "done") db->outbox_attempt(item.id, true, "");
  }
  station::refresh_record_handoff(*db, station::records_path(profile), row.mac);
  return result;
}

std::string StationService::deregister_device(const std::filesystem::path& profile_path, const std::string& device) {
  const auto profile = station::load_station_profile(profile_path);
  std::string id = device;
  if (station::profile_db_exists(profile)) {
    const auto db = station::open_profile_db(profile);
    if (const auto row = db->find_device(device); row && !row->serial.empty()) id = row->serial;
  }
  return station::make_registrar(profile)->deregister_device(id);
}

}  // namespace espfab::service
