// How long one device was busy: the union of the intervals its serial link was moving bytes (either
// direction) and its chip was working on a request (flash erase and programming, register delays,
// the reply's turnaround). The rest of the device's time in a fixture it waited for its host, so a
// station's wall time over this figure is the host's share (bench/station prints it per step).
//
// Intervals come in nearly in time order (the link model schedules them as the requests come), so
// they are kept merged and sorted; an interval that starts before the last one still lands in
// place. Past kMaxIntervals the oldest are folded into a total: the figure stays exact, only their
// detail is gone.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>

namespace espfab::emulator {

class BusyMeter {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Duration = Clock::duration;

  struct Interval {
    TimePoint begin;
    TimePoint end;
  };

  static constexpr std::size_t kMaxIntervals = 65536;

  // The device was busy in [begin, end); empty and reversed intervals count nothing.
  void add(TimePoint begin, TimePoint end);
  // Busy time so far (folded intervals included).
  Duration total() const;
  // The merged intervals still held, oldest first.
  const std::deque<Interval>& intervals() const noexcept { return intervals_; }
  // Intervals folded away (their time is in total()).
  std::size_t folded() const noexcept { return folded_; }
  void clear();

 private:
  std::deque<Interval> intervals_;
  Duration folded_time_{};
  std::size_t folded_ = 0;
};

// The control channel's answer to `busy N` (control_command.hpp), without "ok ": "busy_us=B
// folded=F intervals=A-B,C-D" — B the total, F the intervals folded away, A-B each held interval in
// microseconds of the Unix epoch; `steady_to_system` converts the meter's clock to the system's.
std::string describe_busy(const BusyMeter& meter, std::chrono::system_clock::duration steady_to_system);

}  // namespace espfab::emulator
