// Reading and writing a non-blocking file descriptor (serial device or socket) through the
// system-call seam: poll with the deadline, retry EINTR/EAGAIN, report hang-ups as IoError.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "transport/system_calls.hpp"
#include "util/bytes.hpp"
#include "util/deadline.hpp"

namespace espfab::transport {

// How long one write may wait for the link to take the bytes (esptool's serial write timeout).
inline constexpr std::chrono::seconds kWriteTimeout{10};

class FdStream {
 public:
  // `name` names the link in error messages ("serial /dev/ttyUSB0").
  FdStream(SystemCalls& sys, UniqueFd fd, std::string name);

  // Transport::read semantics: 0 only when the deadline passed; IoError on hang-up.
  std::size_t read(std::span<std::uint8_t> out, Deadline deadline);
  void write_all(ByteView data, std::chrono::milliseconds timeout = kWriteTimeout);
  // Reads and drops whatever is pending without waiting.
  void discard_pending();

  int fd() const noexcept { return fd_.get(); }
  SystemCalls& sys() const noexcept { return *sys_; }
  const std::string& name() const noexcept { return name_; }

 private:
  [[noreturn]] void throw_hang_up(const char* during) const;
  [[noreturn]] void throw_os_error(const char* call, int error) const;
  // poll() for `events` until the deadline; true when ready, false on timeout. Throws on hang-up.
  bool wait_for(short events, const Deadline& deadline, const char* during);

  SystemCalls* sys_;
  UniqueFd fd_;
  std::string name_;
};

// Milliseconds for poll(): -1 for "never", otherwise clamped to int.
int poll_timeout_ms(const Deadline& deadline);

}  // namespace espfab::transport
