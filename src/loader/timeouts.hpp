// Command timeouts (docs/serial-protocol.md §4.3, esptool v4.8.1 values): fixed ones, and per-megabyte ones that scale
// with the bytes a command makes the chip erase, write or hash (MB = 10^6 bytes, never below 3 s).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace espfab::loader {

using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds kDefaultTimeout = 3s;
inline constexpr std::chrono::milliseconds kChipEraseTimeout = 120s;
inline constexpr std::chrono::milliseconds kMaxTimeout = 240s;
inline constexpr std::chrono::milliseconds kSyncTimeout = 100ms;
inline constexpr std::chrono::milliseconds kMemEndRomTimeout = 200ms;
inline constexpr std::chrono::milliseconds kStubStartTimeout = 3s;  // OHAI after MEM_END

inline constexpr std::chrono::seconds kMd5TimeoutPerMb = 8s;
inline constexpr std::chrono::seconds kEraseRegionTimeoutPerMb = 30s;
inline constexpr std::chrono::seconds kEraseWriteTimeoutPerMb = 40s;

// max(3 s, per_mb × size / 10^6), capped at kMaxTimeout... except that esptool does not cap the
// per-MB values, so neither do we: a 16 MB erase legitimately needs 480 s.
constexpr std::chrono::milliseconds timeout_per_mb(std::chrono::seconds per_mb, std::uint64_t size) {
  const std::uint64_t ms = static_cast<std::uint64_t>(per_mb.count()) * size / 1000;
  return std::max(kDefaultTimeout, std::chrono::milliseconds(static_cast<std::int64_t>(ms)));
}

}  // namespace espfab::loader
