// Progress of a long operation, reported as events through a callback (never printed by a library).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace espfab {

struct ProgressEvent {
  std::string operation;    // "write-flash", "read-flash", "erase", ...
  std::string item;         // what part of it: "bootloader @0x0"
  std::uint64_t done = 0;   // units done (bytes unless the operation says otherwise)
  std::uint64_t total = 0;  // 0 when unknown
  std::chrono::steady_clock::duration elapsed{};

  bool finished() const noexcept { return total != 0 && done >= total; }
  // Units per second so far; 0 when nothing measurable has passed.
  double rate_per_second() const noexcept;
  // Remaining time at the current rate; empty when it cannot be estimated.
  std::optional<std::chrono::seconds> eta() const noexcept;
};

using ProgressCallback = std::function<void(const ProgressEvent&)>;

// Tracks one operation's start time and sends events with elapsed time filled in.
class ProgressReporter {
 public:
  ProgressReporter(ProgressCallback callback, std::string operation, std::string item, std::uint64_t total);
  void update(std::uint64_t done);
  void finish();

 private:
  ProgressCallback callback_;
  ProgressEvent event_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace espfab
