#include "station/station_events.hpp"

#include "station/station_db.hpp"

namespace espfab::station {

std::string_view to_string(StationEvent::Kind kind) {
  switch (kind) {
    case StationEvent::Kind::Waiting: return "waiting";
    case StationEvent::Kind::DeviceStarted: return "device_started";
    case StationEvent::Kind::StepStarted: return "step_started";
    case StationEvent::Kind::StepProgress: return "step_progress";
    case StationEvent::Kind::StepFinished: return "step_finished";
    case StationEvent::Kind::DeviceFinished: return "device_finished";
    case StationEvent::Kind::FixtureStopped: return "fixture_stopped";
    case StationEvent::Kind::Warning: return "warning";
  }
  return "unknown";
}

nlohmann::json to_json(const StationEvent& e) {
  nlohmann::json out = {{"time", utc_now_iso()}, {"event", to_string(e.kind)}, {"fixture", e.fixture}};
  if (!e.mac.empty()) out["mac"] = e.mac;
  if (!e.serial.empty()) out["serial"] = e.serial;
  if (!e.step.empty()) out["step"] = e.step;
  if (!e.outcome.empty()) out["outcome"] = e.outcome;
  if (!e.message.empty()) out["message"] = e.message;
  if (e.total > 0) {
    out["done"] = e.done;
    out["total"] = e.total;
  }
  if (e.seconds > 0) out["seconds"] = e.seconds;
  return out;
}

}  // namespace espfab::station
