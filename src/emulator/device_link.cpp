#include "emulator/device_link.hpp"

#include <algorithm>

#include "emulator/slip.hpp"

namespace espfab::emulator {

DeviceLink::DeviceLink(VirtualDevice& device, LinkTimingConfig config)
    : device_(device), timing_(config, device.flash().size()) {}

void DeviceLink::host_bytes(TimePoint now, ByteView bytes) {
  if (bytes.empty()) return;
  if (!config().realtime) {
    deliver(now, bytes);
    return;
  }
  // Cut after every 0xC0 so that each piece completes at most one frame, and the chip takes
  // each request at the moment its last byte has crossed the line.
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != kSlipEnd && i + 1 != bytes.size()) continue;
    const ByteView piece = bytes.subspan(start, i + 1 - start);
    const TimePoint at = timing_.receive(now, piece.size(), device_.baud());
    rx_.push_back({at, Bytes(piece.begin(), piece.end())});
    rx_bytes_ += piece.size();
    start = i + 1;
  }
}

void DeviceLink::chip_output(TimePoint now, ByteView bytes) { schedule_output(now, bytes); }

void DeviceLink::deliver(TimePoint received, ByteView bytes) {
  const CommandHandler& handler = device_.handler();
  const FlashActivity before = device_.flash().activity();
  const std::uint64_t frames_before = handler.frames_handled();
  const Bytes out = device_.on_host_bytes(bytes);
  TimePoint ready = received;
  if (handler.frames_handled() != frames_before) {
    const auto work = timing_.flash_time(before, device_.flash().activity()) + handler.register_delay();
    if (config().realtime) ready = timing_.handle(received, work, handler.reply_before_work());
    schedule_output(ready, out);
  } else if (!out.empty()) {
    schedule_output(received, out);  // a running app's console replies (factory-test protocol)
  }
  // A new baud rate applies after the reply just scheduled (CHANGE_BAUDRATE).
  for (const LoaderEvent& event : device_.take_events()) {
    if (event.kind == LoaderEvent::Kind::BaudChange) device_.set_baud(event.value);
    if (event.kind == LoaderEvent::Kind::RunCode) watchdog_at_ = ready + device_.config().unknown_code_watchdog;
  }
}

void DeviceLink::schedule_output(TimePoint ready, ByteView bytes) {
  if (bytes.empty()) return;
  if (!config().realtime) {
    tx_.push_back({ready, Bytes(bytes.begin(), bytes.end())});
    return;
  }
  // Frame by frame (each ends on its closing 0xC0), so the host sees a frame's last byte exactly
  // when it has crossed the line; long frames in slices, as a UART streams them.
  bool in_frame = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != kSlipEnd) continue;
    if (in_frame) {
      schedule_slice(ready, bytes.subspan(start, i + 1 - start));
      start = i + 1;
    }
    in_frame = !in_frame;
  }
  if (start < bytes.size()) schedule_slice(ready, bytes.subspan(start));
}

void DeviceLink::schedule_slice(TimePoint ready, ByteView bytes) {
  const std::uint32_t baud = device_.baud();
  const std::size_t slice = std::max<std::size_t>(
      16, static_cast<std::size_t>(std::uint64_t{baud} / 10 * static_cast<std::uint64_t>(kTxSlice.count()) / 1000));
  for (std::size_t offset = 0; offset < bytes.size(); offset += slice) {
    const ByteView part = bytes.subspan(offset, std::min(slice, bytes.size() - offset));
    const TimePoint done = timing_.transmit(ready, part.size(), baud);
    tx_.push_back({done, Bytes(part.begin(), part.end())});
  }
}

void DeviceLink::advance(TimePoint now, Bytes& to_host) {
  while (!rx_.empty() && rx_.front().at <= now) {
    Piece piece = std::move(rx_.front());
    rx_.pop_front();
    rx_bytes_ -= piece.bytes.size();
    deliver(piece.at, piece.bytes);
  }
  if (watchdog_at_ && *watchdog_at_ <= now) fire_watchdog(to_host);
  while (!tx_.empty() && tx_.front().at <= now) {
    to_host.insert(to_host.end(), tx_.front().bytes.begin(), tx_.front().bytes.end());
    tx_.pop_front();
  }
}

void DeviceLink::fire_watchdog(Bytes& to_host) {
  const TimePoint at = *watchdog_at_;
  while (!tx_.empty() && tx_.front().at <= at) {  // what left the line before the reset
    to_host.insert(to_host.end(), tx_.front().bytes.begin(), tx_.front().bytes.end());
    tx_.pop_front();
  }
  const Bytes banner = device_.watchdog_reset();
  on_chip_reset(at);
  schedule_output(at, banner);
}

std::optional<DeviceLink::TimePoint> DeviceLink::next_deadline() const {
  std::optional<TimePoint> next;
  if (!rx_.empty()) next = rx_.front().at;
  if (!tx_.empty()) next = next ? std::min(*next, tx_.front().at) : tx_.front().at;
  if (watchdog_at_) next = next ? std::min(*next, *watchdog_at_) : *watchdog_at_;
  return next;
}

void DeviceLink::on_chip_reset(TimePoint now) {
  tx_.clear();
  watchdog_at_.reset();
  timing_.reset(now);
}

void DeviceLink::drop(TimePoint now) {
  rx_.clear();
  tx_.clear();
  rx_bytes_ = 0;
  timing_.reset(now);
}

}  // namespace espfab::emulator
