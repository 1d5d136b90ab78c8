// The dashboard's live picture of the station: one tile per fixture (state, device, step k of n,
// progress and rate, elapsed time, what to do after a fault), built from the station's events
// (station/station_events.hpp), the same stream the terminal view draws. Thread-safe: the fixture
// workers feed it, the server's threads read snapshots and wait for changes.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "station/station_events.hpp"

namespace espfab::web {

class FixtureBoard {
 public:
  // `steps`: the pipeline's step names in order (k of n); `fixtures`: tiles shown from the start.
  FixtureBoard(std::vector<std::string> steps, const std::vector<std::string>& fixtures);

  void on(const station::StationEvent& event);
  // Station-wide notes for the page ("stopping after the current devices ..."), not per fixture.
  void set_banner(std::string text);

  // {"fixtures": [tile...], "banner", "finished": devices finished so far, "last_provisioned": serial}.
  // A tile: {"fixture", "state": waiting|running|pass|reject|fault|skipped|interrupted|paused|stopped|
  // finished, "serial", "mac", "step", "step_index", "step_count", "percent", "kib_s", "elapsed_s",
  // "message", "what_to_do", "note"}.
  nlohmann::json snapshot() const;
  // A counter that grows with every change; `wait_for_change` returns the new one (or `seen` after
  // `timeout` without a change).
  std::uint64_t version() const;
  std::uint64_t wait_for_change(std::uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter (the server is stopping).
  void wake_all();

 private:
  struct Tile {
    std::string state = "waiting";
    std::string serial;
    std::string mac;
    std::string step;
    std::size_t step_index = 0;
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    double rate = 0;  // bytes/s, smoothed
    std::uint64_t rate_done = 0;
    std::chrono::steady_clock::time_point rate_time{};
    std::chrono::steady_clock::time_point started{};
    double seconds = 0;  // a finished device's time
    std::string message;
    std::string what_to_do;
    std::string note;  // "take the device out", the fixture's end
  };
  void changed();

  std::vector<std::string> steps_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, Tile> tiles_;
  std::vector<std::string> order_;
  std::string banner_;
  std::uint64_t version_ = 0;
  std::uint64_t finished_ = 0;
  std::string last_provisioned_;
};

// A StationEvent from its JSON line in events.jsonl (the read-only view replays them).
station::StationEvent event_from_json(const nlohmann::json& line);

}  // namespace espfab::web
