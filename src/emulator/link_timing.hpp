// The time model of one device's serial link (issue 3 point 5, docs/serial-protocol.md §4.4): a UART
// moves baud/10 bytes per second in each direction (8N1) at the current baud; every reply starts
// a turnaround latency after the chip has its request (and, where the reply waits for it, after
// the flash work); flash erase and program take time. The chip handles requests one after the
// other: the ROM acknowledges a data block only once it is written, the stub acknowledges on
// receipt and writes while the next block arrives, and any later request waits for that write.
//
// Pure arithmetic on time points: the server supplies "now" and turns the returned deadlines into
// timer expiries, so tests run it without a clock. Every interval it schedules (a line moving
// bytes, the chip working) also goes to a BusyMeter: the device's busy time (busy_meter.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "emulator/busy_meter.hpp"
#include "emulator/virtual_flash.hpp"

namespace espfab::emulator {

struct LinkTimingConfig {
  bool realtime = true;  // false: no delays at all (fast tests)
  std::chrono::microseconds turnaround{1000};
  std::chrono::microseconds sector_erase{30000};    // one 4 KiB sector (typical SPI NOR)
  std::chrono::microseconds block_erase{150000};    // one 64 KiB block (SPI NOR datasheets: 120-200 ms typ)
  std::uint32_t program_bytes_per_second = 400000;  // page program throughput
  std::chrono::milliseconds chip_erase_per_mib{2500};

  static LinkTimingConfig instant() {
    LinkTimingConfig config;
    config.realtime = false;
    return config;
  }
};

class LinkTiming {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Duration = Clock::duration;

  explicit LinkTiming(LinkTimingConfig config, std::uint32_t flash_size = 0)
      : config_(config), flash_size_(flash_size) {}

  // Time `bytes` take on the wire at `baud` (10 bits per byte).
  static Duration wire_time(std::size_t bytes, std::uint32_t baud);
  // Time the flash chip needed for what it did between two activity snapshots.
  Duration flash_time(const FlashActivity& before, const FlashActivity& after) const;

  // Host bytes reach the chip's RX line at `now`; returns when the last of them is received.
  TimePoint receive(TimePoint now, std::size_t bytes, std::uint32_t baud);
  // The chip takes a request it has fully received at `received`; `work` is the flash and
  // register time it causes. Returns when the reply is ready to go out.
  TimePoint handle(TimePoint received, Duration work, bool reply_before_work);
  // `bytes` ready at `ready` leave the TX line after what is already queued; returns when the
  // last of them has been sent.
  TimePoint transmit(TimePoint ready, std::size_t bytes, std::uint32_t baud);
  // Chip reset or new host: the lines and the chip are idle from `now` on (the busy time stays).
  void reset(TimePoint now);

  const BusyMeter& busy() const noexcept { return busy_; }
  void clear_busy() { busy_.clear(); }
  void add_busy(TimePoint begin, TimePoint end) {
    if (config_.realtime) busy_.add(begin, end);
  }

  const LinkTimingConfig& config() const noexcept { return config_; }
  TimePoint busy_until() const noexcept { return busy_until_; }

 private:
  LinkTimingConfig config_;
  std::uint32_t flash_size_;
  TimePoint rx_free_{};
  TimePoint busy_until_{};
  TimePoint tx_free_{};
  BusyMeter busy_;
};

}  // namespace espfab::emulator
