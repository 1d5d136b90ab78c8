// A scripted SystemCalls: each call takes the next outcome from its queue (result, errno, bytes),
// so tests drive EINTR, EAGAIN, short writes and hang-ups through the fd transports.
// With an empty queue: poll times out (0), read gives EAGAIN, write takes everything, ioctl,
// tcgetattr, tcsetattr, tcflush and tcdrain succeed.
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "transport/system_calls.hpp"
#include "util/bytes.hpp"

namespace espfab::test {

class FakeSystemCalls final : public transport::SystemCalls {
 public:
  struct PollOutcome {
    int result = 1;
    int error = 0;
    short revents = 0;  // 0 = the events asked for
  };
  struct IoOutcome {
    ssize_t result = 0;  // read: ignored when `data` is given (its size is returned)
    int error = 0;
    Bytes data;
  };

  std::deque<PollOutcome> polls;
  std::deque<IoOutcome> reads;
  std::deque<IoOutcome> writes;  // result = how many bytes to accept, or -1 with error
  int open_result = 3;
  int open_error = 0;
  int tcgetattr_error = 0;
  int tcsetattr_error = 0;
  // ioctl handler; default records and succeeds.
  std::function<int(unsigned long request, void* argument)> on_ioctl;

  // What happened.
  Bytes written;
  std::vector<unsigned long> ioctl_requests;
  std::vector<int> poll_timeouts;
  int closes = 0;
  int tcflushes = 0;

  int open(const char* path, int flags) override;
  int close(int fd) override;
  ssize_t read(int fd, void* buffer, std::size_t size) override;
  ssize_t write(int fd, const void* buffer, std::size_t size) override;
  int poll(pollfd* fds, nfds_t count, int timeout_ms) override;
  int ioctl(int fd, unsigned long request, void* argument) override;
  int tcgetattr(int fd, termios* attributes) override;
  int tcsetattr(int fd, int when, const termios* attributes) override;
  int tcflush(int fd, int queue) override;
  int tcdrain(int fd) override;
};

}  // namespace espfab::test
