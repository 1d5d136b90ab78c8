#include "service/station_service.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "pki/certificate_builder.hpp"
#include "service/demo_assets.hpp"
#include "service/demo_broker.hpp"
#include "service/emulator_launcher.hpp"
#include "service/station_db_access.hpp"
#include "station/audit_completeness.hpp"
#include "station/device_record.hpp"
#include "station/production_summary.hpp"
#include "station/station_db.hpp"
#include "station/station_db_factory.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

// Appends every event except progress ticks to <data_dir>/events.jsonl.
class EventLog {
 public:
  explicit EventLog(const std::filesystem::path& file) {
    std::filesystem::create_directories(file.parent_path());
    out_.open(file, std::ios::app);
  }
  void write(const station::StationEvent& event) {
    if (event.kind == station::StationEvent::Kind::StepProgress && event.message.empty()) return;
    std::lock_guard lock(mutex_);
    out_ << station::to_json(event).dump() << "\n";
    out_.flush();
  }

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

[[noreturn]] void throw_preflight_failed(const station::PreflightReport& report) {
  std::string message =
      fmt::format("the profile failed its preflight check with {} error(s); no fixture was touched:", report.errors());
  for (const auto& f : report.findings) {
    if (f.severity != station::PreflightFinding::Severity::Error) continue;
    message += fmt::format("\n  {}: [{}] {}\n    fix: {}", f.where, f.check, f.message, f.hint);
  }
  throw BadInputError("station.preflight", message,
                      fmt::format("`espfab check --profile {}` lists every finding", report.profile.string()));
}

// Refuses a profile whose content hash has not passed a rehearsal; a waiver is returned as the
// audit line the run writes once it holds the data dir.
std::vector<station::AuditEntry> require_rehearsal(const station::StationProfile& profile,
                                                   const std::string& content_hash, bool waived) {
  const bool rehearsed = rehearsal_passed(profile.data_dir, content_hash);
  if (waived) {
    return {{"station.no_rehearsal",
             "",
             "",
             {{"profile", profile.file.string()}, {"content_hash", content_hash}, {"rehearsed", rehearsed}}}};
  }
  if (rehearsed) return {};
  throw PolicyRefusalError(
      "station.not_rehearsed",
      fmt::format("the profile {} (content hash {}…) has not passed a rehearsal on the virtual chip: its images, "
                  "keys or settings are not proven to give a chip that boots",
                  profile.file.string(), content_hash.substr(0, 12)),
      fmt::format("run `espfab check --profile {} --rehearse` first (or pass --no-rehearsal, which the audit log "
                  "records)",
                  profile.file.string()));
}

}  // namespace

RehearsalResult StationService::rehearse(const RehearsalRequest& request, const station::StationObserver& observer) {
  return service::rehearse(request, code_version_, observer);
}

std::vector<DemoDevice> demo_device_plan(unsigned devices) {
  std::vector<DemoDevice> plan;
  for (unsigned i = 0; i < devices; ++i) plan.push_back({i, "", ""});
  // One board whose loopback input is stuck (the hardware test rejects it), one whose cable
  // flips bits now and then (the loader's checksums and retries carry it through). 2 per million
  // bytes: a 16 KiB flasher-stub block arrives damaged 3 % of the time, so the loader's three
  // tries of a block all failing is a 1-in-30 000 event (30 ppm damaged 40 % of the blocks and
  // could fault the device).
  if (devices > 1) plan[1].fault = fmt::format("gpio_stuck={}:low", kDemoLoopbackIn);
  if (devices > 3) plan[3].fault = "bitflip=2";
  return plan;
}

station::PreflightReport StationService::check(const std::filesystem::path& profile,
                                               const station::PreflightOptions& options) {
  return station::run_preflight(profile, options);
}

station::PreflightReport StationService::check_with_idf_build(const std::filesystem::path& profile,
                                                              const std::filesystem::path& idf_build,
                                                              const station::PreflightOptions& options) {
  toml::table root;
  try {
    root = toml::parse_file(profile.string());
  } catch (const toml::parse_error&) {
    return station::run_preflight(profile, options);  // reports the syntax error with its place
  }
  toml::table& images = *root.insert("images", toml::table{}).first->second.as_table();
  for (const char* key : {"bootloader", "partition_table", "production_app"}) images.erase(key);
  images.insert_or_assign("idf_build", std::filesystem::absolute(idf_build).string());
  std::ostringstream text;
  text << "# " << profile.filename().string() << " with [images] idf_build = " << idf_build.string()
       << " (espfab check --idf-build; removed after the check)\n"
       << root << "\n";
  const auto copy = profile.parent_path() / ("." + profile.filename().string() + ".idf-build-check.toml");
  write_text_file_atomic(copy, text.str());
  station::PreflightReport report;
  try {
    report = station::run_preflight(copy, options);
  } catch (...) {
    std::filesystem::remove(copy);
    throw;
  }
  std::filesystem::remove(copy);
  report.profile = profile;
  return report;
}

station::RunSummary StationService::run(const RunRequest& request, const station::StationObserver& observer) {
  station::PreflightOptions preflight_options;
  preflight_options.probe_targets = request.probe_targets;
  const auto preflight = check(request.profile, preflight_options);
  if (!preflight.passed()) throw_preflight_failed(preflight);
  const auto profile = station::load_station_profile(request.profile);
  auto audit_at_start = require_rehearsal(profile, preflight.content_hash, request.no_rehearsal);
  EventLog log(profile.data_dir / "events.jsonl");
  std::vector<std::string> warnings;
  for (const auto& finding : preflight.findings) {
    warnings.push_back(fmt::format("{}: {}: {}", finding.check, finding.where, finding.message));
    station::StationEvent event;
    event.kind = station::StationEvent::Kind::Warning;
    event.step = finding.check;
    event.message = fmt::format("{}: {} ({})", finding.where, finding.message, finding.hint);
    log.write(event);
    if (observer) observer(event);
  }
  station::RunOptions options;
  options.ports = request.ports;
  options.count = request.count;
  options.idle_timeout = request.idle_timeout;
  options.cancel = request.cancel;
  options.stop_now = request.stop_now;
  options.controls = request.controls;
  options.code_version = code_version_;
  options.audit_at_start = std::move(audit_at_start);
  auto summary = station::run_station(profile, options, [&](const station::StationEvent& event) {
    log.write(event);
    if (observer) observer(event);
  });
  // The preflight's findings first, then what the run itself warned of.
  summary.warnings.insert(summary.warnings.begin(), warnings.begin(), warnings.end());
  return summary;
}

DemoResult StationService::demo(const DemoRequest& request, const station::StationObserver& observer) {
  DemoResult result;
  result.dir = request.dir;
  const auto assets = prepare_demo_assets(request.dir, request.production_app_code);
  result.profile = assets.profile;
  // Fresh devices and a fresh station every run; the CA (and its serial numbers) carries on.
  std::filesystem::remove_all(request.dir / "station-data");
  std::filesystem::remove_all(request.dir / "devices");
  std::filesystem::create_directories(request.dir / "devices");
  result.devices = demo_device_plan(request.devices);
  if (!request.run) return result;
  std::vector<std::string> args{
      "--devices",   std::to_string(request.devices),    "--protocol", "rfc2217",
      "--state-dir", (request.dir / "devices").string(), "--realtime", request.realtime ? "on" : "off"};
  for (const auto& device : result.devices) {
    if (device.fault.empty()) continue;
    args.push_back("--fault");
    args.push_back(fmt::format("{}:{}", device.index, device.fault));
  }
  // A local Mosquitto with dynamic security when it is installed; else the registration manifest.
  std::optional<DemoBroker> broker;
  if (const auto mosquitto = find_mosquitto()) {
    auto ca = pki::LocalCa::open(request.dir / "ca");
    broker.emplace(*mosquitto, request.dir / "broker", ca);
    write_text_file_atomic(assets.profile, read_text_file(assets.profile) + broker->registration_section());
    result.registration = "mosquitto dynamic security at " + broker->url();
    // The emulated production firmware says hello to it with the identity the station gives it.
    args.insert(args.end(), {"--broker", broker->url(), "--broker-ca", broker->ca_file().string()});
  } else {
    result.registration = "manifest (mosquitto and its dynamic-security plugin are not installed)";
  }
  // The profile is proven on one virtual chip before the line starts (as `espfab run` demands).
  result.rehearsal = rehearse({assets.profile, request.emulator}, observer);
  EmulatorLauncher emulator(request.emulator, args, request.devices, request.dir / "emulator.log");
  for (std::size_t i = 0; i < result.devices.size() && i < emulator.macs().size(); ++i) {
    result.devices[i].mac = emulator.macs()[i];
  }
  RunRequest run_request;
  run_request.profile = assets.profile;
  run_request.ports = emulator.urls();
  run_request.count = request.devices;
  run_request.idle_timeout = std::chrono::milliseconds(60000);
  result.summary = run(run_request, observer);
  return result;
}

std::vector<nlohmann::json> StationService::report(const std::filesystem::path& profile_path,
                                                   const ReportFilter& filter) {
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  const auto since =
      filter.since.empty() ? std::string() : station::since_to_iso(filter.since, std::chrono::system_clock::now());
  const auto db = open_existing_db(profile, station::DbAccess::ReadOnly);
  std::vector<nlohmann::json> out;
  if (!filter.device.empty()) {
    out.push_back(station::build_device_record(*db, find_existing_device(*db, profile, filter.device).mac));
    return out;
  }
  for (const auto& device : db->devices(since)) {
    const auto cert = db->certificate(device.mac);
    const auto attempts = station::device_attempts(device, db->steps(device.mac));
    const auto run = attempts.empty() ? std::nullopt : db->run(attempts.back().run_id);
    out.push_back({{"serial", device.serial},
                   {"mac", device.mac},
                   {"status", device.status},
                   {"reason", device.reason},
                   {"fixture", device.fixture},
                   {"station", run ? run->station_id : ""},
                   {"attempts", attempts.size()},
                   {"updated", device.updated},
                   {"certificate_sha256", cert ? cert->sha256 : ""}});
  }
  return out;
}

nlohmann::json StationService::report_summary(const std::filesystem::path& profile_path, const std::string& since,
                                              const std::string& by) {
  const auto grouping = station::parse_summary_grouping(by);
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  const auto bound = since.empty() ? std::string() : station::since_to_iso(since, std::chrono::system_clock::now());
  const auto db = open_existing_db(profile, station::DbAccess::ReadOnly);
  return station::production_summary(*db, bound, grouping);
}

station::Migration StationService::migrate_db(const std::filesystem::path& profile_path) {
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  return station::migrate_profile_db(profile);
}

station::AuditVerification StationService::verify_audit(const std::filesystem::path& profile_path) {
  const auto profile = station::load_station_profile(profile_path, station::ProfileUse::Records);
  const auto file = station::audit_log_path(profile);
  auto result = station::verify_audit_log(file);
  if (!result.ok || !station::profile_db_exists(profile)) return result;
  // The CA's own index (local and PKCS#11 CAs): read from its state directory, no key needed.
  std::optional<std::vector<pki::IndexEntry>> index;
  // An archive without the CA's state directory is checked against the DB alone.
  if (profile.ca_backend == station::StationProfile::CaBackendKind::Local &&
      std::filesystem::is_directory(profile.ca_dir))
    index = pki::read_index(profile.ca_dir);
  if (profile.ca_backend == station::StationProfile::CaBackendKind::Pkcs11 &&
      std::filesystem::is_directory(profile.pkcs11.state_dir)) {
    index = pki::read_index(profile.pkcs11.state_dir);
  }
  const auto db = station::open_profile_db(profile, station::DbAccess::ReadOnly);
  station::check_audit_completeness(station::read_audit_entries(file), *db, index, result);
  return result;
}

}  // namespace espfab::service
