#include "service/station_service.hpp"

#include <fmt/format.h>

#include <fstream>
#include <mutex>

#include "service/demo_assets.hpp"
#include "service/demo_broker.hpp"
#include "service/emulator_launcher.hpp"
#include "station/device_record.hpp"
#include "station/station_db.hpp"
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

}  // namespace

std::vector<DemoDevice> demo_device_plan(unsigned devices) {
  std::vector<DemoDevice> plan;
  for (unsigned i = 0; i < devices; ++i) plan.push_back({i, "", ""});
  // One board whose loopback input is stuck (the hardware test rejects it), one whose cable
  // flips bits now and then (the loader's checksums and retries carry it through).
  if (devices > 1) plan[1].fault = fmt::format("gpio_stuck={}:low", kDemoLoopbackIn);
  if (devices > 3) plan[3].fault = "bitflip=30";
  return plan;
}

station::RunSummary StationService::run(const RunRequest& request, const station::StationObserver& observer) {
  const auto profile = station::load_station_profile(request.profile);
  EventLog log(profile.data_dir / "events.jsonl");
  station::RunOptions options;
  options.ports = request.ports;
  options.count = request.count;
  options.idle_timeout = request.idle_timeout;
  options.cancel = request.cancel;
  options.code_version = code_version_;
  return station::run_station(profile, options, [&](const station::StationEvent& event) {
    log.write(event);
    if (observer) observer(event);
  });
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
  const auto profile = station::load_station_profile(profile_path);
  const auto db_file = station::database_path(profile);
  if (!std::filesystem::exists(db_file)) {
    throw BadInputError("service.no_station_db", fmt::format("no station DB at {}", db_file.string()),
                        "run the station with this profile first (espfab run --profile ...)");
  }
  const auto db = station::open_station_db(db_file, station::DbAccess::ReadOnly);
  std::vector<nlohmann::json> out;
  if (!filter.device.empty()) {
    const auto device = db->find_device(filter.device);
    if (!device) {
      throw BadInputError("service.unknown_device", fmt::format("no device {} in {}", filter.device, db_file.string()),
                          "give the MAC (7c:df:a1:00:00:01) or the serial number");
    }
    out.push_back(station::build_device_record(*db, device->mac));
    return out;
  }
  for (const auto& device : db->devices(filter.since)) {
    const auto cert = db->certificate(device.mac);
    out.push_back({{"serial", device.serial},
                   {"mac", device.mac},
                   {"status", device.status},
                   {"reason", device.reason},
                   {"fixture", device.fixture},
                   {"updated", device.updated},
                   {"certificate_sha256", cert ? cert->sha256 : ""}});
  }
  return out;
}

station::AuditVerification StationService::verify_audit(const std::filesystem::path& profile_path) {
  const auto profile = station::load_station_profile(profile_path);
  return station::verify_audit_log(station::audit_log_path(profile));
}

}  // namespace espfab::service
