#include "station/device_record.hpp"

#include <mutex>

#include "util/file_io.hpp"

namespace espfab::station {
namespace {

constexpr std::size_t kConsoleExcerpt = 16 * 1024;

// Record files are rewritten by a device's teardown and by the outbox thread: one at a time.
std::mutex& record_files_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

nlohmann::json build_device_record(StationDb& db, const std::string& mac) {
  nlohmann::json record = nlohmann::json::object();
  const auto device = db.find_device(mac);
  if (!device) return record;
  record["mac"] = device->mac;
  record["serial"] = device->serial;
  record["status"] = device->status;
  record["reason"] = device->reason;
  record["fixture"] = device->fixture;
  record["updated"] = device->updated;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : db.steps(mac)) {
    nlohmann::json step = {{"name", s.step},       {"outcome", s.outcome}, {"run_id", s.run_id},
                           {"started", s.started}, {"seconds", s.seconds}, {"measurements", s.measurements},
                           {"details", s.details}};
    if (!s.error.empty()) step["error"] = s.error;
    steps.push_back(step);
  }
  record["steps"] = steps;
  if (const auto cert = db.certificate(mac)) {
    record["certificate"] = {{"serial_number", cert->certificate_serial},
                             {"sha256", cert->sha256},
                             {"issued", cert->issued},
                             {"pem", cert->pem}};
  }
  nlohmann::json revoked = nlohmann::json::array();
  for (const auto& r : db.revocations(mac)) {
    revoked.push_back({{"serial_number", r.certificate.certificate_serial},
                       {"sha256", r.certificate.sha256},
                       {"issued", r.certificate.issued},
                       {"revoked", r.revoked},
                       {"reason", r.reason}});
  }
  if (!revoked.empty()) record["revoked_certificates"] = revoked;
  nlohmann::json efuses = nlohmann::json::object();
  for (const char* stage : {"connect", "before-burn", "after-burn", "final"}) {
    if (auto snapshot = db.efuse_snapshot(mac, stage)) efuses[stage] = *snapshot;
  }
  record["efuses"] = efuses;
  nlohmann::json outbox = nlohmann::json::array();
  for (const auto& item : db.outbox(mac)) {
    outbox.push_back(
        {{"kind", item.kind}, {"state", item.state}, {"attempts", item.attempts}, {"last_error", item.last_error}});
  }
  record["handoff"] = outbox;
  return record;
}

std::filesystem::path record_file(const std::filesystem::path& records_dir, const std::string& serial,
                                  const std::string& mac) {
  std::string name = serial.empty() ? mac : serial;
  for (auto& c : name)
    if (c == ':' || c == '/') c = '-';
  return records_dir / (name + ".json");
}

void refresh_record_handoff(StationDb& db, const std::filesystem::path& records_dir, const std::string& mac) {
  const auto device = db.find_device(mac);
  if (!device) return;
  const auto file = record_file(records_dir, device->serial, mac);
  std::lock_guard lock(record_files_mutex());
  if (!std::filesystem::exists(file)) return;  // the device's teardown writes it with the current state
  auto record = nlohmann::json::parse(read_text_file(file), nullptr, false);
  if (record.is_discarded()) return;
  record["handoff"] = build_device_record(db, mac)["handoff"];
  write_text_file_atomic(file, record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::filesystem::path write_device_record(const DeviceContext& ctx, const DeviceResult& result) {
  auto record = build_device_record(ctx.station.db, ctx.mac());
  record["record_version"] = 1;
  record["station"] = {{"id", ctx.station.profile.station_id},
                       {"code_version", ctx.station.code_version},
                       {"profile", ctx.station.profile.file.string()},
                       {"profile_sha256", ctx.station.profile.sha256},
                       {"run_id", ctx.station.run_id}};
  // Security the profile turned off on purpose ("secure_boot = false"): kept with every device.
  record["security_opt_outs"] = ctx.station.profile.security_opt_outs;
  record["result"] = {{"result", to_string(result.outcome)}, {"reason", result.reason}, {"seconds", result.seconds}};
  const std::string& console = ctx.console();
  record["console_excerpt"] =
      console.size() > kConsoleExcerpt ? console.substr(console.size() - kConsoleExcerpt) : console;
  std::filesystem::create_directories(ctx.station.records_dir);
  const auto file = record_file(ctx.station.records_dir, ctx.serial(), ctx.mac());
  std::lock_guard lock(record_files_mutex());
  write_text_file_atomic(file, record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  return file;
}

}  // namespace espfab::station
