// The seam between the transports and the OS: every system call the fd-based transports make goes
// through this interface, so tests can inject EINTR, EAGAIN, short writes and hang-ups.
#pragma once

#include <poll.h>
#include <sys/types.h>
#include <termios.h>

#include <string>

namespace espfab::transport {

// Each call returns what the libc call returns and leaves errno set the same way.
class SystemCalls {
 public:
  virtual ~SystemCalls() = default;
  virtual int open(const char* path, int flags) = 0;
  virtual int close(int fd) = 0;
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

// Owns a file descriptor and closes it through the seam.
class UniqueFd {
 public:
  UniqueFd() = default;
  UniqueFd(SystemCalls& sys, int fd) : sys_(&sys), fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : sys_(other.sys_), fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      sys_ = other.sys_;
      fd_ = other.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() noexcept {
    if (fd_ >= 0 && sys_ != nullptr) sys_->close(fd_);
    fd_ = -1;
  }

 private:
  SystemCalls* sys_ = nullptr;
  int fd_ = -1;
};

}  // namespace espfab::transport
