// socket://host:port: a raw TCP byte stream to a serial server or the emulator. No baud rate and
// no control lines: set_baud is remembered but changes nothing, set_control_lines reports false.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "transport/fd_stream.hpp"
#include "transport/transport.hpp"

namespace espfab::transport {

inline constexpr std::chrono::seconds kConnectTimeout{5};

// Connects a non-blocking TCP socket (TCP_NODELAY). Throws IoError/TimeoutError naming host:port.
UniqueFd connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                     SystemCalls& sys = real_system_calls());

class SocketTransport final : public Transport {
 public:
  static std::unique_ptr<SocketTransport> connect(const std::string& host, std::uint16_t port,
                                                  std::chrono::milliseconds timeout = kConnectTimeout,
                                                  SystemCalls& sys = real_system_calls());
  // Takes an already connected stream socket (tests use a socketpair).
  SocketTransport(SystemCalls& sys, UniqueFd fd, std::string peer);

  std::size_t read(std::span<std::uint8_t> out, Deadline deadline) override;
  void write(ByteView data) override;
  void drain_input() override;
  void flush_output() override {}
  void set_baud(std::uint32_t baud) override { baud_ = baud; }
  std::uint32_t baud() const override { return baud_; }
  bool set_control_lines(ControlLines) override { return false; }
  std::string describe() const override { return "socket " + peer_; }

 private:
  FdStream stream_;
  std::string peer_;
  std::uint32_t baud_ = 115200;
};

}  // namespace espfab::transport
