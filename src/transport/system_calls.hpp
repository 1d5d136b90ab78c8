// The seam between the transports and the OS: every system call the fd-based transports make goes
// through this interface, so tests can inject EINTR, EAGAIN, short writes and hang-ups.
#pragma once

#include <poll.h>
#include <sys/types.h>
#include <termios.h>

#include <string>

#include "util/unique_fd.hpp"

namespace espfab::transport {

// Each call returns what the libc call returns and leaves errno set the same way.
class SystemCalls : public FdCloser {
 public:
  ~SystemCalls() override = default;
  virtual int open(const char* path, int flags) = 0;
  int close(int fd) override = 0;
  virtual ssize_t read(int fd, void* buffer, std::size_t size) = 0;
  virtual ssize_t write(int fd, const void* buffer, std::size_t size) = 0;
  virtual int poll(pollfd* fds, nfds_t count, int timeout_ms) = 0;
  virtual int ioctl(int fd, unsigned long request, void* argument) = 0;
  virtual int tcgetattr(int fd, termios* attributes) = 0;
  virtual int tcsetattr(int fd, int when, const termios* attributes) = 0;
  virtual int tcflush(int fd, int queue) = 0;
  virtual int tcdrain(int fd) = 0;
};

// The real thing: forwards to libc.
SystemCalls& real_system_calls();

// "Input/output error (EIO)" style text for an errno value.
std::string errno_text(int error);

// The fd owner is util's UniqueFd; built with a SystemCalls it closes through the seam.
using espfab::UniqueFd;

}  // namespace espfab::transport
