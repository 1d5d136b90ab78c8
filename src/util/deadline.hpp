// A point in time an operation must finish by, on the monotonic clock.
#pragma once

#include <chrono>

namespace espfab {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(Clock::duration budget) : end_(Clock::now() + budget) {}
  static Deadline never() { return Deadline(Clock::time_point::max()); }

  bool expired() const { return Clock::now() >= end_; }
  Clock::duration remaining() const {
    if (end_ == Clock::time_point::max()) return Clock::duration::max();
    const auto left = end_ - Clock::now();
    return left < Clock::duration::zero() ? Clock::duration::zero() : left;
  }
  std::chrono::milliseconds remaining_ms() const {
    const auto left = remaining();
    if (left == Clock::duration::max()) return std::chrono::milliseconds::max();
    return std::chrono::ceil<std::chrono::milliseconds>(left);
  }
  Clock::time_point end() const { return end_; }

 private:
  explicit Deadline(Clock::time_point end) : end_(end) {}
  Clock::time_point end_;
};

}  // namespace espfab
