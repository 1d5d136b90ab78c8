// A local serial device (USB-UART bridge, USB-Serial/JTAG, pty): raw 8N1 via termios, any baud
// rate via termios2, DTR/RTS via TIOCMBIS/TIOCMBIC, opened exclusively (TIOCEXCL).
#pragma once

#include <memory>
#include <string>

#include "transport/fd_stream.hpp"
#include "transport/transport.hpp"

namespace espfab::transport {

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
  std::string describe() const override;

 private:
  SerialTransport(FdStream stream, std::string path) : stream_(std::move(stream)), path_(std::move(path)) {}

  FdStream stream_;
  std::string path_;
  std::uint32_t baud_ = 0;
  bool lines_unsupported_ = false;
};

}  // namespace espfab::transport
