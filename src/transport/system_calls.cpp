#include "transport/system_calls.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace espfab::transport {

namespace {

class RealSystemCalls final : public SystemCalls {
 public:
  int open(const char* path, int flags) override { return ::open(path, flags); }
  int close(int fd) override { return ::close(fd); }
  ssize_t read(int fd, void* buffer, std::size_t size) override { return ::read(fd, buffer, size); }
  ssize_t write(int fd, const void* buffer, std::size_t size) override { return ::write(fd, buffer, size); }
  int poll(pollfd* fds, nfds_t count, int timeout_ms) override { return ::poll(fds, count, timeout_ms); }
  int ioctl(int fd, unsigned long request, void* argument) override { return ::ioctl(fd, request, argument); }
  int tcgetattr(int fd, termios* attributes) override { return ::tcgetattr(fd, attributes); }
  int tcsetattr(int fd, int when, const termios* attributes) override { return ::tcsetattr(fd, when, attributes); }
  int tcflush(int fd, int queue) override { return ::tcflush(fd, queue); }
  int tcdrain(int fd) override { return ::tcdrain(fd); }
};

}  // namespace

SystemCalls& real_system_calls() {
  static RealSystemCalls instance;
  return instance;
}

std::string errno_text(int error) {
  const char* name = strerrorname_np(error);
  const char* text = strerrordesc_np(error);
  return std::string(text != nullptr ? text : "unknown error") + " (" +
         (name != nullptr ? std::string(name) : std::to_string(error)) + ")";
}

}  // namespace espfab::transport
