#include <fmt/format.h>

#include <algorithm>

#include "station/station_profile.hpp"
#include "util/error.hpp"
#include "web/dashboard_backend.hpp"

namespace espfab::web {

StationBackend::StationBackend(service::StationService& service, StationBackendOptions options)
    : service_(service), options_(std::move(options)) {
  station_ = station::load_station_profile(options_.profile, station::ProfileUse::Records).station_id;
}

nlohmann::json StationBackend::shift() {
  nlohmann::json out;
  try {
    out["summary"] = service_.report_summary(options_.profile, options_.since, "");
    auto devices = service_.report(options_.profile, {"", options_.since});
    std::sort(devices.begin(), devices.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
      return a.value("updated", "") > b.value("updated", "");
    });
    if (devices.size() > options_.recent) devices.resize(options_.recent);
    out["recent"] = devices;
  } catch (const Error& error) {
    // No DB yet (a view of a new data dir): empty numbers, and why.
    out["summary"] = nlohmann::json::object();
    out["recent"] = nlohmann::json::array();
    out["note"] = error.describe();
  }
  // Devices finished (not in progress) per hour since the station (or the view) started, at
  // least over a minute.
  const auto& total = out["summary"].contains("total") ? out["summary"]["total"] : nlohmann::json::object();
  const double finished = total.value("finished", 0.0);
  const double hours = std::max(
      1.0 / 60, std::chrono::duration<double>(std::chrono::system_clock::now() - options_.started).count() / 3600);
  out["devices_per_hour"] = std::round(finished / hours * 10) / 10;
  return out;
}

nlohmann::json StationBackend::device_record(const std::string& device) {
  auto found = service_.report(options_.profile, {device, ""});
  return found.empty() ? nlohmann::json::object() : found.front();
}

Bytes StationBackend::label_png(const std::string& device) { return service_.label_png(options_.profile, device); }

std::string StationBackend::act(const Action& action, const std::string& user) {
  if (options_.read_only) {
    throw PolicyRefusalError("ui.read_only", "this dashboard is a read-only view of the data dir",
                             "act on the station's own dashboard (`espfab run --ui`) or with the CLI");
  }
  const auto fixture_action = [&](const std::string& audit_action, bool pause) {
    if (action.fixture.empty() || options_.controls == nullptr) {
      throw BadInputError("ui.no_fixture", "no fixture named", "pick the fixture's tile");
    }
    options_.controls->set_paused(action.fixture, pause);
    service_.audit_operator_action(options_.profile, audit_action, user, {{"fixture", action.fixture}});
    return fmt::format("{} {}", action.fixture, pause ? "pauses after its current device" : "takes devices again");
  };
  if (action.name == "pause") return fixture_action("fixture.pause", true);
  if (action.name == "resume_fixture") return fixture_action("fixture.resume", false);
  if (action.name == "stop") {
    service_.audit_operator_action(options_.profile, "station.stop", user, {{"when", "after the current devices"}});
    if (options_.stop) options_.stop();
    return "the station stops after the devices in the fixtures";
  }
  if (action.name == "reprint") return service_.reprint_label(options_.profile, action.device, user);
  if (action.name == "device_resume" || action.name == "device_scrap") {
    const auto result = action.name == "device_resume"
                            ? service_.device_resume(options_.profile, action.device, action.reason, user)
                            : service_.device_scrap(options_.profile, action.device, action.reason, user);
    // Its fixture, held for the engineer, takes the device again (resumed, or skipped: scrapped).
    if (options_.controls != nullptr) options_.controls->release_device(result.value("mac", ""));
    return fmt::format("{} is {}", action.device, result.value("status", ""));
  }
  throw BadInputError("ui.unknown_action", fmt::format("no action '{}'", action.name),
                      "reprint, pause, resume_fixture, stop, device_resume, device_scrap");
}

}  // namespace espfab::web
