#include "transport/fd_stream.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <limits>
#include <utility>

#include "util/error.hpp"

namespace espfab::transport {

int poll_timeout_ms(const Deadline& deadline) {
  const auto left = deadline.remaining_ms();
  if (left == std::chrono::milliseconds::max()) return -1;
  if (left.count() > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
  return static_cast<int>(left.count());
}

FdStream::FdStream(SystemCalls& sys, UniqueFd fd, std::string name)
    : sys_(&sys), fd_(std::move(fd)), name_(std::move(name)) {}

void FdStream::throw_hang_up(const char* during) const {
  throw IoError("transport.hang_up", fmt::format("{} hung up while {}", name_, during),
                "check the cable or the network path to the fixture, and that no other program holds the port");
}

void FdStream::throw_os_error(const char* call, int error) const {
  if (error == EIO || error == EPIPE || error == ECONNRESET || error == ENXIO || error == ENODEV) throw_hang_up(call);
  throw IoError("transport.os_error", fmt::format("{}: {} failed: {}", name_, call, errno_text(error)),
                "check that the device still exists and is not used by another program");
}

bool FdStream::wait_for(short events, const Deadline& deadline, const char* during) {
  for (;;) {
    pollfd entry{fd_.get(), events, 0};
    const int ready = sys_->poll(&entry, 1, poll_timeout_ms(deadline));
    if (ready < 0) {
      const int error = errno;
      if (error == EINTR || error == EAGAIN) continue;
      throw_os_error("poll", error);
    }
    if (ready == 0) {
      if (deadline.expired()) return false;
      continue;
    }
    if ((entry.revents & events) != 0) return true;
    if ((entry.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) throw_hang_up(during);
  }
}

std::size_t FdStream::read(std::span<std::uint8_t> out, Deadline deadline) {
  if (out.empty()) return 0;
  for (;;) {
    if (!wait_for(POLLIN, deadline, "reading")) return 0;
    const ssize_t got = sys_->read(fd_.get(), out.data(), out.size());
    if (got > 0) return static_cast<std::size_t>(got);
    if (got == 0) throw_hang_up("reading");
    const int error = errno;
    if (error == EINTR || error == EAGAIN || error == EWOULDBLOCK) continue;
    throw_os_error("read", error);
  }
}

void FdStream::write_all(ByteView data, std::chrono::milliseconds timeout) {
  const Deadline deadline(timeout);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t put = sys_->write(fd_.get(), data.data() + done, data.size() - done);
    if (put > 0) {
      done += static_cast<std::size_t>(put);
      continue;
    }
    const int error = put < 0 ? errno : EAGAIN;
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) throw_os_error("write", error);
    if (!wait_for(POLLOUT, deadline, "writing")) {
      throw TimeoutError(
          "transport.write_timeout",
          fmt::format("{} did not take {} bytes within {} ms ({} written)", name_, data.size(), timeout.count(), done),
          "the link is stalled: check flow control and that the other side reads");
    }
  }
}

void FdStream::discard_pending() {
  std::uint8_t scratch[512];
  for (;;) {
    pollfd entry{fd_.get(), POLLIN, 0};
    const int ready = sys_->poll(&entry, 1, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || (entry.revents & POLLIN) == 0) return;
    const ssize_t got = sys_->read(fd_.get(), scratch, sizeof scratch);
    if (got > 0) continue;
    if (got == 0) throw_hang_up("discarding input");
    const int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return;
    throw_os_error("read", error);
  }
}

}  // namespace espfab::transport
