#include "support/transport/fake_system_calls.hpp"

#include <cerrno>
#include <cstring>

namespace espfab::test {

int FakeSystemCalls::open(const char*, int) {
  if (open_error != 0) {
    errno = open_error;
    return -1;
  }
  return open_result;
}

int FakeSystemCalls::close(int) {
  ++closes;
  return 0;
}

ssize_t FakeSystemCalls::read(int, void* buffer, std::size_t size) {
  if (reads.empty()) {
    errno = EAGAIN;
    return -1;
  }
  IoOutcome outcome = std::move(reads.front());
  reads.pop_front();
  if (!outcome.data.empty()) {
    const std::size_t count = std::min(size, outcome.data.size());
    std::memcpy(buffer, outcome.data.data(), count);
    if (count < outcome.data.size()) {
      reads.push_front(
          IoOutcome{0, 0, Bytes(outcome.data.begin() + static_cast<std::ptrdiff_t>(count), outcome.data.end())});
    }
    return static_cast<ssize_t>(count);
  }
  errno = outcome.error;
  return outcome.result;
}

ssize_t FakeSystemCalls::write(int, const void* buffer, std::size_t size) {
  ssize_t accepted = static_cast<ssize_t>(size);
  if (!writes.empty()) {
    const IoOutcome outcome = writes.front();
    writes.pop_front();
    if (outcome.result < 0) {
      errno = outcome.error;
      return -1;
    }
    accepted = std::min(accepted, outcome.result);
  }
  const auto* bytes = static_cast<const std::uint8_t*>(buffer);
  written.insert(written.end(), bytes, bytes + accepted);
  return accepted;
}

int FakeSystemCalls::poll(pollfd* fds, nfds_t count, int timeout_ms) {
  poll_timeouts.push_back(timeout_ms);
  if (polls.empty()) return 0;
  const PollOutcome outcome = polls.front();
  polls.pop_front();
  if (outcome.result < 0) {
    errno = outcome.error;
    return -1;
  }
  for (nfds_t i = 0; i < count; ++i) fds[i].revents = outcome.revents != 0 ? outcome.revents : fds[i].events;
  return outcome.result;
}

int FakeSystemCalls::ioctl(int, unsigned long request, void* argument) {
  ioctl_requests.push_back(request);
  if (on_ioctl) return on_ioctl(request, argument);
  return 0;
}

int FakeSystemCalls::tcgetattr(int, termios* attributes) {
  if (tcgetattr_error != 0) {
    errno = tcgetattr_error;
    return -1;
  }
  *attributes = termios{};
  return 0;
}

int FakeSystemCalls::tcsetattr(int, int, const termios*) {
  if (tcsetattr_error != 0) {
    errno = tcsetattr_error;
    return -1;
  }
  return 0;
}

int FakeSystemCalls::tcflush(int, int) {
  ++tcflushes;
  return 0;
}

int FakeSystemCalls::tcdrain(int) { return 0; }

}  // namespace espfab::test
