#include "service/rehearsal.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "chip/esp32s3.hpp"
#include "image/app_image.hpp"
#include "pki/local_ca.hpp"
#include "service/emulator_launcher.hpp"
#include "station/preflight.hpp"
#include "station/station_runner.hpp"
#include "util/error.hpp"
#include "util/file_io.hpp"

namespace espfab::service {
namespace {

std::string absolute_from(const std::filesystem::path& profile, const std::string& path) {
  const std::filesystem::path p(path);
  return std::filesystem::absolute(p.is_absolute() ? p : profile.parent_path() / p).lexically_normal().string();
}

// The profile as it is, but with its relative paths made absolute, its company CA, broker, label
// printer, fixtures and data directory replaced by the rehearsal's stand-ins in `dir`.
std::filesystem::path write_rehearsal_profile(const std::filesystem::path& original, const std::filesystem::path& dir) {
  toml::table root = toml::parse_file(original.string());
  const auto absolute = [&](toml::table& table, const char* key) {
    if (const auto value = table[key].value<std::string>())
      table.insert_or_assign(key, absolute_from(original, *value));
  };
  if (toml::table* images = root["images"].as_table()) {
    for (const char* key : station::kImagePathKeys) absolute(*images, key);
    if (toml::array* data = (*images)["data"].as_array()) {
      for (auto& entry : *data)
        if (toml::table* table = entry.as_table()) absolute(*table, "file");
    }
  }
  if (const toml::array* keys = root["security"]["secure_boot_keys"].as_array()) {
    toml::array absolute_keys;
    for (const auto& key : *keys) {
      if (const auto value = key.value<std::string>()) absolute_keys.push_back(absolute_from(original, *value));
    }
    root["security"].as_table()->insert_or_assign("secure_boot_keys", std::move(absolute_keys));
  }
  toml::table& station = *root.insert("station", toml::table{}).first->second.as_table();
  absolute(station, "stub");
  station.insert_or_assign("data_dir", (dir / "station-data").string());
  station.insert_or_assign("outbox_wait_s", 0);
  // The station's serial lease stays the station's: the rehearsal's one device takes its serial
  // from the DB directly.
  station.erase("serial_lease");
  root.erase("fixtures");
  // The measurements are the product's own hardware: the virtual board cannot stand in for them.
  if (toml::table* test = root["test"].as_table()) test->erase("measurement");
  root.insert_or_assign("ca", toml::table{{"backend", "local"}, {"dir", (dir / "ca").string()}});
  root.insert_or_assign("registration", toml::table{{"manifest", (dir / "registrations.jsonl").string()}});
  toml::table label{{"printer", "directory"}, {"dir", (dir / "labels").string()}};
  if (const toml::table* original_label = root["label"].as_table()) {
    for (const char* key : {"formats", "width_mm", "height_mm", "dpi"}) {
      if (const toml::node* node = original_label->get(key)) label.insert_or_assign(key, *node);
    }
  }
  root.insert_or_assign("label", std::move(label));
  std::ostringstream text;
  text << "# A rehearsal of " << original.string() << " (written by espfab check --rehearse)\n" << root << "\n";
  auto file = dir / "station.toml";
  write_text_file_atomic(file, text.str());
  return file;
}

// The flash size the bootloader's header declares ("8MB"), so the virtual chip has that flash.
std::string bootloader_flash_size(const std::filesystem::path& bootloader) {
  const auto image = image::parse_app_image(read_file(bootloader));
  return std::string(chip::kEsp32s3.flash_size_name(image.header.flash_size_code()));
}

std::vector<RehearsalCheck> real_checks() {
  return {
      {"images",
       "the profile's bootloader, partition table, factory-test and production images, flashed as a "
       "device gets them"},
      {"secure boot",
       "the virtual ROM checks the bootloader's and the 2nd stage the app's Secure Boot V2 signature "
       "against the digests the real eFuse plan burned"},
      {"eFuse plan", "the profile's plan executed by the virtual eFuse controller, read back, final lock included"},
      {"flash encryption",
       "a per-device key burned, the production firmware encrypted for it, the boot decrypts it "
       "(no plaintext flash left)"},
      {"partition table and slots", "the bootloader reads the table, otadata selects ota_0, the app starts there"},
      {"identity container",
       "built in the profile's format and written where the partition table puts it; the "
       "booted app finds the serial and certificate the station issued"},
  };
}

std::vector<RehearsalCheck> modelled_checks() {
  return {
      {"factory test",
       "the factory-test image boots and the emulator's reference app answers the protocol's ready "
       "line and info request (the product's test code cannot run on the virtual chip; preflight "
       "checks its image carries the protocol)"},
      {"measurements", "not rehearsed: they measure the product's own hardware (GPIO loopbacks, sensors, Wi-Fi)"},
      {"production app",
       "the emulator's reference app prints the identity line (preflight checks the image "
       "carries the identity log tag)"},
      {"company CA", "a throw-away local CA in the rehearsal directory (nothing issued by the company CA)"},
      {"registration", "a manifest file in the rehearsal directory (nothing registered; no device hello)"},
      {"label printer", "label files in the rehearsal directory"},
      {"link timing", "instant (the emulator's link model off)"},
  };
}

void append_log(const std::filesystem::path& data_dir, const RehearsalResult& result,
                const std::filesystem::path& profile) {
  std::filesystem::create_directories(data_dir);
  nlohmann::json line = {{"time", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)))},
                         {"profile", profile.string()},
                         {"content_hash", result.content_hash},
                         {"passed", result.passed},
                         {"reason", result.reason},
                         {"seconds", result.seconds},
                         {"record", result.device.record}};
  std::ofstream out(data_dir / "rehearsals.jsonl", std::ios::app);
  out << line.dump() << "\n";
  out.flush();
  if (!out) {
    throw IoError("service.rehearsal_log", fmt::format("cannot append to {}", (data_dir / "rehearsals.jsonl").string()),
                  "check that the station's data_dir is writable");
  }
}

}  // namespace

RehearsalResult rehearse(const RehearsalRequest& request, const std::string& code_version,
                         const station::StationObserver& observer) {
  const auto start = std::chrono::steady_clock::now();
  RehearsalResult result;
  result.real = real_checks();
  result.modelled = modelled_checks();
  station::PreflightOptions preflight_options;
  preflight_options.probe_targets = false;
  const auto preflight = station::run_preflight(request.profile, preflight_options);
  result.content_hash = preflight.content_hash;
  if (!preflight.passed()) {
    result.reason = fmt::format("the preflight check found {} error(s) (espfab check lists them)", preflight.errors());
    return result;
  }
  const auto original = station::load_station_profile(request.profile);
  result.dir = original.data_dir / "rehearsal";
  std::filesystem::remove_all(result.dir);
  std::filesystem::create_directories(result.dir / "devices");
  (void)pki::LocalCa::init(result.dir / "ca", {.common_name = "espfab rehearsal CA (throw-away)"});
  const auto profile = station::load_station_profile(write_rehearsal_profile(request.profile, result.dir));
  const std::vector<std::string> args{"--devices",    "1",
                                      "--protocol",   "rfc2217",
                                      "--state-dir",  (result.dir / "devices").string(),
                                      "--realtime",   "off",
                                      "--flash-size", bootloader_flash_size(profile.images.bootloader)};
  {
    EmulatorLauncher emulator(request.emulator, args, 1, result.dir / "emulator.log");
    station::RunOptions run;
    run.ports = emulator.urls();
    run.count = 1;
    run.idle_timeout = std::chrono::milliseconds(30000);
    run.code_version = code_version;
    const auto summary = station::run_station(profile, run, [&](const station::StationEvent& event) {
      if (!observer) return;
      auto shown = event;
      shown.fixture = "rehearsal";
      observer(shown);
    });
    if (!summary.devices.empty()) result.device = summary.devices.front();
  }
  // The virtual chip's state (its keys in its eFuses) and the throw-away CA's key are not kept.
  std::filesystem::remove_all(result.dir / "devices");
  std::filesystem::remove(result.dir / "ca" / "ca.key");
  result.passed = result.device.outcome == station::DeviceOutcome::Provisioned;
  if (!result.passed) {
    result.reason = result.device.reason.empty() ? "the virtual device was not provisioned" : result.device.reason;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  append_log(original.data_dir, result, request.profile);
  return result;
}

nlohmann::json to_json(const RehearsalResult& result) {
  const auto checks = [](const std::vector<RehearsalCheck>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : list) out.push_back({{"what", c.what}, {"how", c.how}});
    return out;
  };
  return {{"passed", result.passed},
          {"reason", result.reason},
          {"content_hash", result.content_hash},
          {"seconds", result.seconds},
          {"dir", result.dir.string()},
          {"device",
           {{"mac", result.device.mac},
            {"serial", result.device.serial},
            {"result", station::to_string(result.device.outcome)},
            {"record", result.device.record}}},
          {"real", checks(result.real)},
          {"modelled", checks(result.modelled)}};
}

bool rehearsal_passed(const std::filesystem::path& data_dir, const std::string& content_hash) {
  bool passed = false;
  for_each_line(data_dir / "rehearsals.jsonl", [&](std::string_view line) {
    const auto entry = nlohmann::json::parse(line, nullptr, false);
    passed = entry.is_object() && entry.value("content_hash", "") == content_hash && entry.value("passed", false);
    return !passed;
  });
  return passed;
}

}  // namespace espfab::service
