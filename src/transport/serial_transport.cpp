#include "transport/serial_transport.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <fmt/format.h>

#include <cerrno>
#include <thread>

#include "transport/termios2.hpp"
#include "transport/usb_serial_jtag_port.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::transport {

namespace {

[[noreturn]] void throw_open_error(const std::string& path, int error) {
  const std::string reason = errno_text(error);
  if (error == ENOENT || error == ENODEV || error == ENXIO) {
    throw IoError("transport.port_not_found", fmt::format("serial port {} does not exist ({})", path, reason),
                  "check the cable and the port name; ls /dev/serial/by-id lists the adapters present");
  }
  if (error == EACCES || error == EPERM) {
    throw IoError("transport.port_permission", fmt::format("no permission to open {} ({})", path, reason),
                  "add the station user to the 'dialout' group (then log in again) or fix the udev rule");
  }
  if (error == EBUSY) {
    throw IoError("transport.port_busy", fmt::format("serial port {} is in use ({})", path, reason),
                  "close the other program using the port (a serial monitor, ModemManager, another espfab)");
  }
  throw IoError("transport.open_failed", fmt::format("cannot open serial port {}: {}", path, reason),
                "check that the path names a serial device");
}

}  // namespace

std::unique_ptr<SerialTransport> SerialTransport::open(const std::string& path, std::uint32_t baud, SystemCalls& sys) {
  auto transport = open_keeping_input(path, baud, sys);
  sys.tcflush(transport->stream_.fd(), TCIOFLUSH);  // nothing from before this session
  return transport;
}

std::unique_ptr<SerialTransport> SerialTransport::open_keeping_input(const std::string& path, std::uint32_t baud,
                                                                     SystemCalls& sys) {
  int fd = -1;
  // A USB-Serial/JTAG port is absent for a moment after each chip reset (the last command's
  // hard reset, say): its by-id path is waited for, up to kReenumerationWait.
  const auto give_up = std::chrono::steady_clock::now() + kReenumerationWait;
  for (;;) {
    fd = sys.open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0 || errno == EINTR) {
      if (fd >= 0) break;
      continue;
    }
    if (errno != ENOENT || std::chrono::steady_clock::now() >= give_up || !is_usb_serial_jtag_port(path)) {
      throw_open_error(path, errno);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  UniqueFd owned(sys, fd);

  if (sys.ioctl(fd, TIOCEXCL, nullptr) != 0) {
    const int error = errno;
    if (error == EBUSY) throw_open_error(path, error);
    log::get("transport")->debug("{}: TIOCEXCL not supported ({})", path, errno_text(error));
  }
  termios attributes{};
  if (sys.tcgetattr(fd, &attributes) != 0) {
    const int error = errno;
    throw BadInputError("transport.not_a_tty", fmt::format("{} is not a serial device ({})", path, errno_text(error)),
                        "give a tty device such as /dev/ttyUSB0, or a socket:// or rfc2217:// URL");
  }
  cfmakeraw(&attributes);
  attributes.c_cflag |= static_cast<tcflag_t>(CLOCAL | CREAD);
  attributes.c_cflag &= ~static_cast<tcflag_t>(CRTSCTS | CSTOPB | PARENB);
  attributes.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  attributes.c_cc[VMIN] = 0;
  attributes.c_cc[VTIME] = 0;
  int set = 0;
  do {
    set = sys.tcsetattr(fd, TCSANOW, &attributes);
  } while (set != 0 && errno == EINTR);
  if (set != 0) {
    throw IoError("transport.configure_failed", fmt::format("cannot set raw mode on {}: {}", path, errno_text(errno)),
                  "check that the path names a serial device");
  }

  std::unique_ptr<SerialTransport> transport(
      new SerialTransport(FdStream(sys, std::move(owned), "serial " + path), path));
  transport->set_baud(baud);
  return transport;
}

SerialTransport::SerialTransport(FdStream stream, std::string path)
    : stream_(std::move(stream)), path_(std::move(path)), usb_serial_jtag_(is_usb_serial_jtag_port(path_)) {}

namespace {

bool hung_up(const IoError& error) { return error.code() == "transport.hang_up"; }

}  // namespace

bool SerialTransport::reattach(const Deadline& deadline) {
  const auto now = std::chrono::steady_clock::now();
  if (!vanished_at_) {
    vanished_at_ = now;
    log::get("transport")->info("{} went away; waiting for it to come back (USB re-enumeration)", path_);
  }
  const auto give_up = *vanished_at_ + kReenumerationWait;
  for (;;) {
    try {
      // What the chip said since it came back (its boot log) is kept.
      auto fresh = open_keeping_input(path_, baud_ == 0 ? 115200 : baud_, stream_.sys());
      stream_ = std::move(fresh->stream_);
      lines_unsupported_ = false;
      log::get("transport")
          ->info("{} is back after {} ms", path_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - *vanished_at_)
                     .count());
      vanished_at_.reset();
      return true;
    } catch (const Error&) {
      // not there yet (or still the old node going away)
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      vanished_at_.reset();
      throw IoError("transport.port_gone",
                    fmt::format("{} went away and did not come back within {} s", path_, kReenumerationWait.count()),
                    "check the cable and the hub; a USB device that does not re-enumerate after a reset may have "
                    "its USB port disabled (eFuses) or be stuck");
    }
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::size_t SerialTransport::read(std::span<std::uint8_t> out, Deadline deadline) {
  for (;;) {
    try {
      return stream_.read(out, deadline);
    } catch (const IoError& error) {
      if (!hung_up(error)) throw;
      if (!reattach(deadline)) return 0;
    }
  }
}

void SerialTransport::write(ByteView data) {
  try {
    stream_.write_all(data);
  } catch (const IoError& error) {
    if (!hung_up(error) || !reattach(Deadline(kReenumerationWait))) throw;
    stream_.write_all(data);
  }
}

void SerialTransport::drain_input() {
  try {
    stream_.sys().tcflush(stream_.fd(), TCIFLUSH);
    stream_.discard_pending();
  } catch (const IoError& error) {
    // Gone (re-enumerating): the port that comes back has nothing stale in it.
    if (!hung_up(error) || !reattach(Deadline(kReenumerationWait))) throw;
  }
}

void SerialTransport::flush_output() {
  while (stream_.sys().tcdrain(stream_.fd()) != 0) {
    if (errno != EINTR) return;  // nothing to wait for on a link that cannot drain
  }
}

void SerialTransport::set_baud(std::uint32_t baud) {
  if (baud == 0) throw BadInputError("transport.bad_baud", "baud rate 0 is not valid", "give a rate such as 115200");
  SystemCalls& sys = stream_.sys();
  const int fd = stream_.fd();
  const int error = detail::set_termios2_baud(
      [&sys, fd](unsigned long request, void* argument) { return sys.ioctl(fd, request, argument); }, baud);
  if (error != 0) {
    throw IoError("transport.baud_failed", fmt::format("cannot set {} baud on {}: {}", baud, path_, errno_text(error)),
                  "the adapter may not support this rate; try a lower --baud");
  }
  baud_ = baud;
  log::get("transport")->debug("{}: baud {}", path_, baud);
}

bool SerialTransport::set_control_lines(ControlLines lines) {
  try {
    return apply_lines(lines);
  } catch (const IoError& error) {
    // A USB port re-enumerating after the chip reset: the new port starts with both lines off.
    if (error.code() != "transport.control_lines_failed" || !reattach(Deadline(kReenumerationWait))) throw;
    return apply_lines(lines);
  }
}

bool SerialTransport::apply_lines(ControlLines lines) {
  if (lines_unsupported_) return false;
  SystemCalls& sys = stream_.sys();
  int set_bits = 0;
  int clear_bits = 0;
  if (lines.dtr) (*lines.dtr ? set_bits : clear_bits) |= TIOCM_DTR;
  if (lines.rts) (*lines.rts ? set_bits : clear_bits) |= TIOCM_RTS;
  auto apply = [&](unsigned long request, int bits) {
    if (bits == 0) return true;
    int argument = bits;
    if (sys.ioctl(stream_.fd(), request, &argument) == 0) return true;
    const int error = errno;
    if (error == ENOTTY || error == EINVAL) {
      log::get("transport")
          ->warn("{}: DTR/RTS cannot be set on this device ({}); the chip is not reset", path_, errno_text(error));
      lines_unsupported_ = true;
      return false;
    }
    throw IoError("transport.control_lines_failed",
                  fmt::format("cannot set DTR/RTS on {}: {}", path_, errno_text(error)),
                  "check that the adapter is still connected");
  };
  if (lines.dtr && lines.rts) {
    // Both at once (TIOCMGET + TIOCMSET) so the auto-reset circuit never sees an in-between state.
    int bits = 0;
    if (sys.ioctl(stream_.fd(), TIOCMGET, &bits) == 0) {
      bits = (bits | set_bits) & ~clear_bits;
      if (sys.ioctl(stream_.fd(), TIOCMSET, &bits) == 0) return true;
    }
  }
  return apply(TIOCMBIS, set_bits) && apply(TIOCMBIC, clear_bits);
}

std::string SerialTransport::describe() const { return fmt::format("serial {} @{}", path_, baud_); }

}  // namespace espfab::transport
