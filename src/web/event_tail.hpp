// The read-only view's live feed (`espfab ui`): follows <data_dir>/events.jsonl, which the running
// station appends to (every event but byte progress), and replays its lines into a FixtureBoard.
// Looks for new lines once a second on a thread of its own; starts with the file's last 1 MiB.
#pragma once

#include <atomic>
#include <filesystem>
#include <thread>

#include "web/fixture_board.hpp"

namespace espfab::web {

class EventTail {
 public:
  EventTail(std::filesystem::path file, FixtureBoard& board);
  ~EventTail();
  EventTail(const EventTail&) = delete;
  EventTail& operator=(const EventTail&) = delete;
  EventTail(EventTail&&) = delete;
  EventTail& operator=(EventTail&&) = delete;

 private:
  void follow();
  std::filesystem::path file_;
  FixtureBoard& board_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace espfab::web
