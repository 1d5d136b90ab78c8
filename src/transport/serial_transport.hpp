// A local serial device (USB-UART bridge, USB-Serial/JTAG, pty): raw 8N1 via termios, any baud
// rate via termios2, DTR/RTS via TIOCMBIS/TIOCMBIC, opened exclusively (TIOCEXCL).
//
// A USB device that resets leaves the bus and comes back (re-enumeration): its node hangs up and
// reappears under the same path (a /dev/serial/by-id link). The transport then opens the path
// again, waiting at most kReenumerationWait from the hang-up, and goes on as before.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "transport/fd_stream.hpp"
#include "transport/transport.hpp"

namespace espfab::transport {

inline constexpr std::chrono::seconds kReenumerationWait{3};

class SerialTransport final : public Transport {
 public:
  // Throws IoError (missing device, no permission, busy) or BadInputError (not a tty).
  static std::unique_ptr<SerialTransport> open(const std::string& path, std::uint32_t baud,
                                               SystemCalls& sys = real_system_calls());

  std::size_t read(std::span<std::uint8_t> out, Deadline deadline) override;
  void write(ByteView data) override;
  void drain_input() override;
  void flush_output() override;
  void set_baud(std::uint32_t baud) override;
  std::uint32_t baud() const override { return baud_; }
  bool set_control_lines(ControlLines lines) override;
  bool usb_serial_jtag() const override { return usb_serial_jtag_; }
  std::string describe() const override;

 private:
  SerialTransport(FdStream stream, std::string path);
  static std::unique_ptr<SerialTransport> open_keeping_input(const std::string& path, std::uint32_t baud,
                                                             SystemCalls& sys);
  // The node hung up: opens the path again once it is back. False when `deadline` passed first
  // (still within kReenumerationWait of the hang-up); throws IoError (transport.port_gone) after that.
  bool reattach(const Deadline& deadline);
  bool apply_lines(ControlLines lines);

  FdStream stream_;
  std::string path_;
  std::uint32_t baud_ = 0;
  bool lines_unsupported_ = false;
  bool usb_serial_jtag_ = false;
  std::optional<std::chrono::steady_clock::time_point> vanished_at_;
};

}  // namespace espfab::transport
