// What the station reports while it runs: one event per fixture state change, step and progress
// tick. The CLI draws its live view from them and the service writes them as JSON lines.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace espfab::station {

struct StationEvent {
  // Warning: a preflight warning (step = the check), once at the start of a run.
  enum class Kind {
    Waiting,
    DeviceStarted,
    StepStarted,
    StepProgress,
    StepFinished,
    DeviceFinished,
    FixtureStopped,
    Warning
  };
  Kind kind = Kind::Waiting;
  std::string fixture;  // "fixture 1"
  std::string mac;
  std::string serial;
  std::string step;
  std::string outcome;  // StepFinished: pass/fail/skipped/error; DeviceFinished: provisioned/rejected/fault/skipped
  std::string message;
  std::uint64_t done = 0;  // StepProgress: bytes
  std::uint64_t total = 0;
  double seconds = 0;  // StepFinished / DeviceFinished
};

using StationObserver = std::function<void(const StationEvent&)>;

std::string_view to_string(StationEvent::Kind kind);
nlohmann::json to_json(const StationEvent& event);

}  // namespace espfab::station
