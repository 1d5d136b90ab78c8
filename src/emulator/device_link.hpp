// One device's serial line as the server drives it: host bytes go in with the time they arrived,
// the chip takes each request when the UART has received it, and its answers leave the TX line
// at the link model's pace (link_timing.hpp). With realtime off everything happens at once.
//
// The chip's own clock lives here too: unknown code that MEM_END started runs until the watchdog
// resets the chip (DeviceConfig::unknown_code_watchdog after the MEM_END reply was ready), and
// the ROM banner of that reset goes out like any chip output.
//
// Pure apart from the device it feeds: the caller passes "now", asks for the next deadline and
// calls advance() when it is reached, so one thread can run many devices on one timer.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>

#include "emulator/link_timing.hpp"
#include "emulator/virtual_device.hpp"

namespace espfab::emulator {

class DeviceLink {
 public:
  using TimePoint = LinkTiming::TimePoint;

  // Output is handed out in slices of about this much line time, as a UART streams it.
  static constexpr std::chrono::milliseconds kTxSlice{10};

  DeviceLink(VirtualDevice& device, LinkTimingConfig config);

  // Serial bytes from the host, arrived at `now`.
  void host_bytes(TimePoint now, ByteView bytes);
  // Bytes the chip sends on its own at `now` (the ROM banner after a reset).
  void chip_output(TimePoint now, ByteView bytes);
  // Does everything due at `now`; appends the serial bytes that have left the TX line.
  void advance(TimePoint now, Bytes& to_host);
  // Earliest pending deadline; empty when the link is idle.
  std::optional<TimePoint> next_deadline() const;
  // Host bytes the chip has not received yet (the server stops reading above a limit).
  std::size_t queued_rx_bytes() const noexcept { return rx_bytes_; }
  // Chip reset: what it had not sent yet is lost, a pending watchdog with it; the lines are idle
  // from `now`.
  void on_chip_reset(TimePoint now);
  // The host went away: nothing is in flight any more (the chip itself runs on).
  void drop(TimePoint now);

  const LinkTimingConfig& config() const noexcept { return timing_.config(); }
  // The device's busy time (realtime only: with the link model off nothing takes time).
  const BusyMeter& busy() const noexcept { return timing_.busy(); }
  void clear_busy() { timing_.clear_busy(); }
  // Busy time outside the line model: the chip held in reset or strapped by the fixture's lines.
  void add_busy(TimePoint begin, TimePoint end) { timing_.add_busy(begin, end); }

 private:
  struct Piece {
    TimePoint at;
    Bytes bytes;
  };
  void deliver(TimePoint received, ByteView bytes);
  void schedule_output(TimePoint ready, ByteView bytes);
  void schedule_slice(TimePoint ready, ByteView bytes);
  void fire_watchdog(Bytes& to_host);

  VirtualDevice& device_;
  LinkTiming timing_;
  std::deque<Piece> rx_;
  std::deque<Piece> tx_;
  std::size_t rx_bytes_ = 0;
  std::optional<TimePoint> watchdog_at_;
};

}  // namespace espfab::emulator
