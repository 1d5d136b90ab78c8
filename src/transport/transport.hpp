// The byte link between the station and one fixture: a small interface with one implementation
// per URL scheme (serial device, socket://, rfc2217://) and a fake in tests/support.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "util/bytes.hpp"
#include "util/deadline.hpp"

namespace espfab::transport {

// Modem control lines to change; an empty member keeps that line as it is.
struct ControlLines {
  std::optional<bool> dtr;
  std::optional<bool> rts;
};

class Transport {
 public:
  virtual ~Transport() = default;
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  Transport(Transport&&) = delete;
  Transport& operator=(Transport&&) = delete;

  // Reads what is available, up to out.size() bytes, waiting until `deadline` for the first
  // byte. Returns 0 only when the deadline passed with nothing read. Throws IoError on hang-up.
  virtual std::size_t read(std::span<std::uint8_t> out, Deadline deadline) = 0;
  // Writes every byte or throws (IoError, TimeoutError).
  virtual void write(ByteView data) = 0;
  // Discards input that arrived but was not read yet (boot log, stale frames).
  virtual void drain_input() = 0;
  // Waits until written bytes have left the host (tcdrain); a no-op where that cannot be known.
  virtual void flush_output() = 0;
  // Changes the link's baud rate. Links without a rate (socket://) accept and ignore it.
  virtual void set_baud(std::uint32_t baud) = 0;
  virtual std::uint32_t baud() const = 0;
  // Sets DTR/RTS together. Returns false when the link has no control lines (socket://, pty);
  // reset strategies then fall back to "no reset".
  virtual bool set_control_lines(ControlLines lines) = 0;
  // An Espressif USB-Serial/JTAG port (usb_serial_jtag_port.hpp): its own reset sequence, and
  // the port re-enumerates at every chip reset.
  virtual bool usb_serial_jtag() const { return false; }
  // "serial /dev/ttyUSB0 @115200", "rfc2217 10.0.0.5:4000": for logs and error context.
  virtual std::string describe() const = 0;
};

}  // namespace espfab::transport
