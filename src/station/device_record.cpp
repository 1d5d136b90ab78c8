#include "station/device_record.hpp"

#include <fmt/format.h>

#include <mutex>

#include "util/file_io.hpp"

namespace espfab::station {
namespace {

constexpr std::size_t kConsoleExcerpt = std::size_t{16} * 1024;

// Record files are rewritten by a device's teardown and by the outbox thread: one at a time.
std::mutex& record_files_mutex() {
  static std::mutex mutex;
  return mutex;
}

nlohmann::json step_json(const StepRow& s) {
  nlohmann::json step = {{"name", s.step},       {"outcome", s.outcome}, {"run_id", s.run_id},
                         {"started", s.started}, {"seconds", s.seconds}, {"measurements", s.measurements},
                         {"details", s.details}};
  if (!s.error.empty()) step["error"] = s.error;
  return step;
}

// What a failed step is counted as in a reject Pareto: its failed measurements, else its error
// code, else the step.
std::string reject_reason_of(const StepRow& step) {
  std::string measurements;
  if (step.measurements.is_array()) {
    for (const auto& m : step.measurements) {
      if (!m.is_object() || m.value("pass", true)) continue;
      measurements += (measurements.empty() ? "" : ",") + m.value("name", std::string("?"));
    }
  }
  if (!measurements.empty()) return step.step + ": " + measurements;
  if (step.details.is_object() && step.details.contains("error") && step.details["error"].is_object()) {
    const auto code = step.details["error"].value("code", std::string());
    if (!code.empty()) return fmt::format("{} ({})", step.step, code);
  }
  return step.step;
}

nlohmann::json run_json(const std::optional<RunRow>& run) {
  if (!run) return nlohmann::json::object();
  return {{"id", run->station_id},
          {"code_version", run->code_version},
          {"profile_sha256", run->profile_sha256},
          {"run_id", run->run_id}};
}

}  // namespace

std::vector<Attempt> device_attempts(const DeviceRow& device, const std::vector<StepRow>& steps) {
  std::vector<Attempt> out;
  for (const auto& step : steps) {
    if (out.empty() || out.back().run_id != step.run_id) {
      out.push_back({});
      out.back().run_id = step.run_id;
      out.back().started = step.started;
    }
    auto& attempt = out.back();
    attempt.seconds += step.seconds;
    const bool failed = step.outcome == "fail" || step.outcome == "error";
    if (failed && attempt.failed_step.empty()) {
      attempt.failed_step = step.step;
      attempt.reject_reason = reject_reason_of(step);
      attempt.error = step.error;
    }
    if (step.outcome == "error") attempt.result = "fault";
    if (step.outcome == "fail" && attempt.result.empty()) attempt.result = "rejected";
    attempt.steps.push_back(step);
  }
  for (auto& attempt : out) {
    if (&attempt == &out.back()) {
      attempt.result = device.status;
    } else if (attempt.result.empty()) {
      attempt.result = "unfinished";
    }
  }
  return out;
}

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
  const auto rows = db.steps(mac);
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : rows) steps.push_back(step_json(s));
  record["steps"] = steps;
  nlohmann::json attempts = nlohmann::json::array();
  std::optional<RunRow> last_run;
  for (const auto& attempt : device_attempts(*device, rows)) {
    const auto run = db.run(attempt.run_id);
    nlohmann::json a = {{"run_id", attempt.run_id},        {"started", attempt.started},
                        {"seconds", attempt.seconds},      {"result", attempt.result},
                        {"station", run_json(run)},        {"images", nlohmann::json::object()},
                        {"steps", nlohmann::json::array()}};
    if (run) a["images"] = run->images;
    if (!attempt.failed_step.empty()) {
      a["failed_step"] = attempt.failed_step;
      a["reject_reason"] = attempt.reject_reason;
      a["error"] = attempt.error;
    }
    for (const auto& s : attempt.steps) a["steps"].push_back(step_json(s));
    attempts.push_back(a);
    if (run) last_run = run;
  }
  record["attempts"] = attempts;
  // The station, code version, profile and images of the newest attempt (each attempt names its own).
  record["station"] = run_json(last_run);
  record["images"] = last_run ? last_run->images : nlohmann::json::object();
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
  record["record_version"] = 2;
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
  // The serial the DB holds (the device's, whichever run allocated it), else the run's.
  const std::string serial = record.value("serial", std::string()).empty() ? ctx.serial() : record.value("serial", "");
  auto file = record_file(ctx.station.records_dir, serial, ctx.mac());
  std::lock_guard lock(record_files_mutex());
  write_text_file_atomic(file, record.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  // An earlier attempt ended before the serial was allocated: its MAC-named record is this one now.
  if (!serial.empty()) std::filesystem::remove(record_file(ctx.station.records_dir, "", ctx.mac()));
  return file;
}

}  // namespace espfab::station
