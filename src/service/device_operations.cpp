// StationService's operator recovery: `espfab device status|resume|scrap`. A fault leaves a device
// where the DB says; these are the operator's ways out of it, each an audit line with the reason.
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "service/station_db_access.hpp"
#include "service/station_service.hpp"
#include "station/device_record.hpp"
#include "station/station_runner.hpp"
#include "util/error.hpp"

namespace espfab::service {
namespace {

// Who asked: the login name of the process (the audit line's operator).
std::string process_user() {
  if (const passwd* user = ::getpwuid(::geteuid()); user != nullptr && user->pw_name != nullptr) return user->pw_name;
  return fmt::format("uid {}", ::geteuid());
}

void require_reason(const std::string& reason) {
  if (reason.find_first_not_of(" \t") == std::string::npos) {
    throw BadInputError("service.no_reason", "an operator action needs a reason",
                        "say why with --reason \"...\": it goes into the audit log");
  }
}

nlohmann::json summary_of(const station::DeviceRow& row) {
  return {{"mac", row.mac},       {"serial", row.serial},   {"status", row.status},
          {"reason", row.reason}, {"fixture", row.fixture}, {"updated", row.updated}};
}

}  // namespace

nlohmann::json StationService::device_status(const std::filesystem::path& profile_path, const std::string& device) {
  const auto profile = station::load_station_profile(profile_path);
  const auto db = open_existing_db(profile, station::DbAccess::ReadOnly);
  const auto row = find_existing_device(*db, profile, device);
  auto out = summary_of(row);
  const auto steps = db->steps(row.mac);
  if (!steps.empty()) {
    const auto& last = steps.back();
    out["last_step"] = {{"name", last.step}, {"outcome", last.outcome}, {"error", last.error}};
    if (last.details.contains("error")) out["last_step"]["details"] = last.details["error"];
  }
  out["resumable"] = row.status == "fault" || row.status == "in_progress";
  out["what_now"] = row.status == "fault"
                        ? "put it back in a fixture: with [station] auto_resume it resumes when its eFuses are "
                          "consistent with its plan; else `espfab device resume` once an engineer has looked, or "
                          "`espfab device scrap`"
                    : row.status == "in_progress" ? "put it back in a fixture: the station resumes it"
                                                  : "nothing to do";
  out["record"] = station::build_device_record(*db, row.mac);
  return out;
}

nlohmann::json StationService::device_resume(const std::filesystem::path& profile_path, const std::string& device,
                                             const std::string& reason, const std::string& operator_name) {
  require_reason(reason);
  const auto profile = station::load_station_profile(profile_path);
  const auto db = open_existing_db(profile);
  const auto row = find_existing_device(*db, profile, device);
  if (row.status != "fault" && row.status != "in_progress") {
    throw PolicyRefusalError("service.not_resumable",
                             fmt::format("device {} is {}: there is nothing to resume", device, row.status),
                             row.status == "scrapped" ? "a scrapped device stays scrapped"
                                                      : "only a faulted or interrupted device can be resumed");
  }
  db->set_status(row.mac, "in_progress", "resume requested: " + reason);
  station::AuditLog audit(station::audit_log_path(profile), profile.station_id);
  audit.append({"device.resume",
                row.mac,
                row.serial,
                {{"reason", reason},
                 {"operator", operator_name.empty() ? process_user() : operator_name},
                 {"previous", summary_of(row)}}});
  auto out = summary_of(*db->find_device(row.mac));
  out["next"] = "the station resumes it at its first step not done when its fixture sees it";
  return out;
}

nlohmann::json StationService::device_scrap(const std::filesystem::path& profile_path, const std::string& device,
                                            const std::string& reason, const std::string& operator_name) {
  require_reason(reason);
  const auto profile = station::load_station_profile(profile_path);
  const auto db = open_existing_db(profile);
  const auto row = find_existing_device(*db, profile, device);
  if (row.status == "scrapped") {
    throw PolicyRefusalError("service.already_scrapped", fmt::format("device {} is scrapped already", device),
                             "nothing to do");
  }
  station::AuditLog audit(station::audit_log_path(profile), profile.station_id);
  const auto revoked = db->revoke_certificate(row.mac, "scrapped: " + reason);
  if (revoked) {
    audit.append({"identity.revoked",
                  row.mac,
                  row.serial,
                  {{"certificate_serial", revoked->certificate_serial},
                   {"certificate_sha256", revoked->sha256},
                   {"reason", "scrapped: " + reason}}});
  }
  db->set_status(row.mac, "scrapped", reason);
  audit.append({"device.scrapped",
                row.mac,
                row.serial,
                {{"reason", reason},
                 {"operator", operator_name.empty() ? process_user() : operator_name},
                 {"previous", summary_of(row)}}});
  auto out = summary_of(*db->find_device(row.mac));
  out["certificate_revoked"] = revoked ? revoked->certificate_serial : "";
  return out;
}

}  // namespace espfab::service
