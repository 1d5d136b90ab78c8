// StationService's label reprint and preview (the dashboard's "reprint" and its label preview) and
// the audit line of an operator's action on a running station.
#include <fmt/format.h>

#include "label/label_render.hpp"
#include "service/station_db_access.hpp"
#include "service/station_service.hpp"
#include "station/handoff_targets.hpp"
#include "station/outbox.hpp"
#include "station/station_runner.hpp"
#include "util/error.hpp"

namespace espfab::service {
namespace {

// The fields of the device's first label: its serial, MAC and the date its label item was queued.
label::LabelFields label_fields(station::StationDb& db, const station::StationProfile& profile,
                                const std::string& device) {
  const auto row = find_existing_device(db, profile, device);
  if (row.status != "provisioned" || row.serial.empty()) {
    throw PolicyRefusalError("service.no_label", fmt::format("device {} is {}: it has no label", device, row.status),
                             "only a provisioned device has a label to print again");
  }
  for (const auto& item : db.outbox(row.mac)) {
    if (item.kind == station::kLabelItem) return {row.serial, row.mac, item.payload.value("date", "")};
  }
  throw PolicyRefusalError("service.no_label", fmt::format("device {} never had a label queued", device),
                           "its label step did not run: `espfab report --device` shows its steps");
}

}  // namespace

std::string StationService::reprint_label(const std::filesystem::path& profile_path, const std::string& device,
                                          const std::string& operator_name) {
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  const auto db = open_existing_db(profile, station::DbAccess::ReadOnly);
  const auto fields = label_fields(*db, profile, device);
  auto done = station::make_label_sink(profile)->print(fields);
  station::AuditLog audit(station::audit_log_path(profile), profile.station_id);
  audit.append({"label.reprint", fields.mac, fields.serial, {{"operator", operator_name}, {"delivered_to", done}}});
  return done;
}

Bytes StationService::label_png(const std::filesystem::path& profile_path, const std::string& device) {
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  const auto db = open_existing_db(profile, station::DbAccess::ReadOnly);
  return label::render_label_png(label_fields(*db, profile, device), profile.label.size);
}

void StationService::audit_operator_action(const std::filesystem::path& profile_path, const std::string& action,
                                           const std::string& operator_name, nlohmann::json details) {
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  details["operator"] = operator_name;
  station::AuditLog audit(station::audit_log_path(profile), profile.station_id);
  audit.append({action, "", "", std::move(details)});
}

}  // namespace espfab::service
