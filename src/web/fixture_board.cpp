#include "web/fixture_board.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace espfab::web {
namespace {

using Kind = station::StationEvent::Kind;

// A finished device's outcome as the tile's state.
std::string device_state(const std::string& outcome) {
  if (outcome == "provisioned") return "pass";
  if (outcome == "rejected") return "reject";
  return outcome;  // fault, skipped, interrupted
}

bool showing_result(const std::string& state) {
  return state == "pass" || state == "reject" || state == "fault" || state == "skipped" || state == "interrupted";
}

std::string fault_advice(const std::string& device) {
  return fmt::format(
      "Leave device {} in the fixture and call an engineer: they resume it (after fixing the cause) or scrap it "
      "on this page, or with `espfab device resume|scrap`.",
      device.empty() ? "the device" : device);
}

}  // namespace

FixtureBoard::FixtureBoard(std::vector<std::string> steps, const std::vector<std::string>& fixtures)
    : steps_(std::move(steps)) {
  for (const auto& fixture : fixtures) {
    tiles_[fixture];
    order_.push_back(fixture);
  }
}

void FixtureBoard::on(const station::StationEvent& e) {
  if (e.kind == Kind::Warning || e.fixture.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (!tiles_.contains(e.fixture)) {
    // "fixture 2" before "fixture 10": by length, then by name.
    order_.push_back(e.fixture);
    std::sort(order_.begin(), order_.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
  }
  Tile& tile = tiles_[e.fixture];
  if (!e.serial.empty()) tile.serial = e.serial;
  if (!e.mac.empty()) tile.mac = e.mac;
  switch (e.kind) {
    case Kind::Waiting:
      if (showing_result(tile.state) && e.message.find("still in the fixture") != std::string::npos) {
        tile.note = "take the device out of the fixture";  // the result stays on the tile until then
        break;
      }
      tile = Tile{};
      tile.state = e.message.starts_with("paused") ? "paused" : "waiting";
      tile.message = e.message;
      break;
    case Kind::DeviceStarted:
      tile = Tile{};
      tile.state = "running";
      tile.mac = e.mac;
      tile.serial = e.serial;
      tile.started = now;
      tile.step = "connect";
      tile.step_index = 1;
      break;
    case Kind::StepStarted: {
      tile.state = "running";
      tile.step = e.step;
      const auto at = std::find(steps_.begin(), steps_.end(), e.step);
      if (at != steps_.end()) tile.step_index = static_cast<std::size_t>(at - steps_.begin()) + 1;
      tile.done = tile.total = 0;
      tile.rate = 0;
      tile.rate_done = 0;
      tile.rate_time = now;
      tile.message.clear();
      if (tile.started == std::chrono::steady_clock::time_point{}) tile.started = now;
      break;
    }
    case Kind::StepProgress:
      if (!e.message.empty()) {
        tile.message = e.message;
        break;
      }
      if (e.done > tile.rate_done && tile.rate_time != std::chrono::steady_clock::time_point{}) {
        const double dt = std::chrono::duration<double>(now - tile.rate_time).count();
        if (dt > 0.05) {
          const double rate = static_cast<double>(e.done - tile.rate_done) / dt;
          tile.rate = tile.rate == 0 ? rate : 0.7 * tile.rate + 0.3 * rate;
          tile.rate_done = e.done;
          tile.rate_time = now;
        }
      } else if (e.done < tile.rate_done) {
        tile.rate_done = e.done;
        tile.rate_time = now;
      }
      tile.done = e.done;
      tile.total = e.total;
      break;
    case Kind::StepFinished:
      if (e.outcome != "pass" && e.outcome != "skipped") tile.message = fmt::format("{}: {}", e.step, e.message);
      tile.done = tile.total = 0;
      break;
    case Kind::DeviceFinished:
      tile.state = device_state(e.outcome);
      tile.seconds = e.seconds;
      tile.message = e.message;
      tile.done = tile.total = 0;
      tile.what_to_do = tile.state == "fault" ? fault_advice(tile.serial.empty() ? tile.mac : tile.serial) : "";
      ++finished_;
      if (tile.state == "pass" && !tile.serial.empty()) last_provisioned_ = tile.serial;
      break;
    case Kind::FixtureStopped:
      // A device's result stays on the tile (the operator and the engineer need it); the fixture's
      // end is a note beside it.
      if (showing_result(tile.state)) {
        tile.note = fmt::format("fixture {}: {}", e.outcome, e.message);
      } else {
        tile.state = e.outcome == "fault" ? "fault" : e.outcome == "finished" ? "finished" : "stopped";
        tile.message = e.message;
      }
      tile.started = {};
      break;
    case Kind::Warning: break;
  }
  changed();
}

void FixtureBoard::set_banner(std::string text) {
  std::lock_guard lock(mutex_);
  banner_ = std::move(text);
  changed();
}

void FixtureBoard::changed() {
  ++version_;
  changed_.notify_all();
}

nlohmann::json FixtureBoard::snapshot() const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  nlohmann::json fixtures = nlohmann::json::array();
  for (const auto& name : order_) {
    const Tile& t = tiles_.at(name);
    const bool running = t.state == "running";
    const double elapsed = running && t.started != std::chrono::steady_clock::time_point{}
                               ? std::chrono::duration<double>(now - t.started).count()
                               : t.seconds;
    fixtures.push_back({{"fixture", name},
                        {"state", t.state},
                        {"serial", t.serial},
                        {"mac", t.mac},
                        {"step", running ? t.step : ""},
                        {"step_index", running ? t.step_index : 0},
                        {"step_count", steps_.size()},
                        {"percent", t.total > 0 ? static_cast<int>(t.done * 100 / t.total) : -1},
                        {"kib_s", std::round(t.rate / 1024 * 10) / 10},
                        {"elapsed_s", std::round(elapsed * 10) / 10},
                        {"message", t.message},
                        {"what_to_do", t.what_to_do},
                        {"note", t.note}});
  }
  return {{"fixtures", fixtures},
          {"banner", banner_},
          {"finished", finished_},
          {"last_provisioned", last_provisioned_},
          {"version", version_}};
}

std::uint64_t FixtureBoard::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::uint64_t FixtureBoard::wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return version_;
}

void FixtureBoard::wake_all() {
  std::lock_guard lock(mutex_);
  changed();
}

station::StationEvent event_from_json(const nlohmann::json& line) {
  static const std::map<std::string, Kind> kinds{{"waiting", Kind::Waiting},
                                                 {"device_started", Kind::DeviceStarted},
                                                 {"step_started", Kind::StepStarted},
                                                 {"step_progress", Kind::StepProgress},
                                                 {"step_finished", Kind::StepFinished},
                                                 {"device_finished", Kind::DeviceFinished},
                                                 {"fixture_stopped", Kind::FixtureStopped},
                                                 {"warning", Kind::Warning}};
  station::StationEvent e;
  const auto kind = kinds.find(line.value("event", ""));
  e.kind = kind == kinds.end() ? Kind::Warning : kind->second;
  e.fixture = line.value("fixture", "");
  e.mac = line.value("mac", "");
  e.serial = line.value("serial", "");
  e.step = line.value("step", "");
  e.outcome = line.value("outcome", "");
  e.message = line.value("message", "");
  e.done = line.value("done", std::uint64_t{0});
  e.total = line.value("total", std::uint64_t{0});
  e.seconds = line.value("seconds", 0.0);
  return e;
}

}  // namespace espfab::web
