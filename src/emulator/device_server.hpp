// Serves virtual devices to hosts: per device one TCP port on 127.0.0.1 speaking raw bytes
// (socket://) or RFC 2217 (rfc2217://), or a pseudo-terminal (its slave path is the URL). One
// thread and one epoll set for all devices, so idle devices cost nothing.
//
// Reset model (docs/serial-protocol.md §6.2): over RFC 2217, as Espressif's RFC 2217 server does it,
// DTR on resets into ROM download mode, DTR off leaves that state, and RTS released while DTR is
// off resets into the app, so esptool's ClassicReset lands in download mode and its HardReset
// boots. socket:// and
// pty have no lines: the device stays in download mode and a new connection does not reset it
// (the stub keeps running between esptool runs, as on a board nobody resets).
//
// Time (link_timing.hpp): each device's line runs at its baud rate; deadlines of all devices
// share one timerfd in the same epoll set, so a transfer costs a few wake-ups per 10 ms of line
// time and an idle device costs nothing.
//
// Device hello (hello_task.hpp): a production app's MQTT hello runs on a worker thread; when it
// is done the worker writes an eventfd in the same epoll set and the loop puts the app's line on
// that device's link, so no device ever waits for a broker.
//
// Control (control_command.hpp): one TCP line-protocol port for all devices, in the same loop;
// "reset download N" / "reset boot N" is how a pty device (no DTR/RTS) is reset.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emulator/device_link.hpp"
#include "emulator/link_timing.hpp"
#include "emulator/rfc2217.hpp"
#include "emulator/usb_port.hpp"
#include "emulator/usb_serial_jtag.hpp"
#include "emulator/virtual_device.hpp"
#include "util/unique_fd.hpp"

namespace espfab::emulator {

enum class ServeProtocol { Socket, Rfc2217, Pty, Usb };
ServeProtocol parse_protocol(std::string_view text);  // throws BadInputError

// --protocol usb: each device's USB-Serial/JTAG port (usb_port.hpp) in `by_id_dir`; after a chip
// reset the port is gone for `reenumeration` before it comes back.
struct UsbOptions {
  std::filesystem::path by_id_dir;
  std::chrono::milliseconds reenumeration{300};
};

class DeviceServer {
 public:
  // Host bytes a device may have queued before the server stops reading its connection (the
  // serial driver's buffer; TCP flow control then slows the host down).
  static constexpr std::size_t kRxQueueLimit = std::size_t{64} * 1024;

  // Binds every device now (ports from `first_port` upwards; 0 = ephemeral ports). `timing` is
  // the link model of every device: no delays unless asked for (tests in process); espfab-emu
  // passes LinkTimingConfig{} (realtime) unless --realtime off.
  // The control channel (control_command.hpp) listens on 127.0.0.1:`control_port` (0 = ephemeral).
  DeviceServer(std::vector<std::unique_ptr<VirtualDevice>> devices, ServeProtocol protocol,
               std::uint16_t first_port = 0, LinkTimingConfig timing = LinkTimingConfig::instant(),
               std::uint16_t control_port = 0, UsbOptions usb = {});
  ~DeviceServer();
  DeviceServer(const DeviceServer&) = delete;
  DeviceServer& operator=(const DeviceServer&) = delete;
  DeviceServer(DeviceServer&&) = delete;
  DeviceServer& operator=(DeviceServer&&) = delete;

  std::size_t size() const noexcept { return slots_.size(); }
  // socket://127.0.0.1:PORT, rfc2217://..., /dev/pts/N, or the by-id link of a USB port
  std::string url(std::size_t index) const;
  std::uint16_t port(std::size_t index) const;
  VirtualDevice& device(std::size_t index);
  std::uint16_t control_port() const noexcept { return control_port_; }

  // Serves until `stop` becomes true (checked at least every `tick`).
  void run(const std::atomic<bool>& stop, std::chrono::milliseconds tick = std::chrono::milliseconds(200));
  // One round of the event loop: waits up to `timeout` for activity and handles it.
  void poll_once(std::chrono::milliseconds timeout);

 private:
  struct Slot;
  void accept_client(Slot& slot);
  void close_client(Slot& slot);
  void on_readable(Slot& slot);
  void advance(Slot& slot, LinkTiming::TimePoint now);
  void send_to_host(Slot& slot, ByteView device_bytes);
  void flush(Slot& slot);
  void apply_line(Slot& slot, const ComPortEvent& event);
  void account_reset_lines(Slot& slot);
  void update_interest(Slot& slot);
  void arm_timer();
  void reset_device(Slot& slot, bool download);
  void plug_usb(Slot& slot);
  void detach_usb(Slot& slot, LinkTiming::TimePoint now);
  void unplug_usb(Slot& slot, LinkTiming::TimePoint now);
  void on_usb_lines(Slot& slot);
  void collect_app_output();
  struct ControlClient;
  void accept_control();
  void on_control(std::size_t id);
  std::string run_control(std::string_view line);
  std::uint64_t client_tag(const Slot& slot) const;

  ServeProtocol protocol_;
  UsbOptions usb_;
  UniqueFd epoll_;
  UniqueFd timer_;
  LinkTiming::TimePoint armed_for_{};
  UniqueFd app_output_;  // eventfd: a device's app has console output (outlives the devices)
  std::vector<std::unique_ptr<Slot>> slots_;
  UniqueFd control_listener_;
  std::uint16_t control_port_ = 0;
  std::vector<std::unique_ptr<ControlClient>> control_clients_;  // by id; null once closed
};

}  // namespace espfab::emulator
