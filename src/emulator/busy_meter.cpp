#include "emulator/busy_meter.hpp"

#include <algorithm>
#include <cstdint>

namespace espfab::emulator {

void BusyMeter::add(TimePoint begin, TimePoint end) {
  if (end <= begin) return;
  // Where the new interval goes: after every interval that ends before it begins.
  auto it = std::lower_bound(intervals_.begin(), intervals_.end(), begin,
                             [](const Interval& held, TimePoint at) { return held.end < at; });
  if (it == intervals_.end() || end < it->begin) {
    intervals_.insert(it, Interval{begin, end});
  } else {
    // Overlaps or touches `it` (and maybe the ones after it): merge them all into `it`.
    it->begin = std::min(it->begin, begin);
    auto last = it;
    while (std::next(last) != intervals_.end() && std::next(last)->begin <= end) ++last;
    it->end = std::max(end, last->end);
    intervals_.erase(std::next(it), std::next(last));
  }
  while (intervals_.size() > kMaxIntervals) {
    folded_time_ += intervals_.front().end - intervals_.front().begin;
    ++folded_;
    intervals_.pop_front();
  }
}

BusyMeter::Duration BusyMeter::total() const {
  Duration sum = folded_time_;
  for (const Interval& interval : intervals_) sum += interval.end - interval.begin;
  return sum;
}

void BusyMeter::clear() {
  intervals_.clear();
  folded_time_ = Duration::zero();
  folded_ = 0;
}

std::string describe_busy(const BusyMeter& meter, std::chrono::system_clock::duration steady_to_system) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto epoch_us = [&](BusyMeter::TimePoint at) {
    return duration_cast<microseconds>(at.time_since_epoch() + steady_to_system).count();
  };
  std::string out = "busy_us=" + std::to_string(duration_cast<microseconds>(meter.total()).count()) +
                    " folded=" + std::to_string(meter.folded()) + " intervals=";
  bool first = true;
  for (const auto& interval : meter.intervals()) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(epoch_us(interval.begin));
    out += '-';
    out += std::to_string(epoch_us(interval.end));
  }
  return out;
}

}  // namespace espfab::emulator
