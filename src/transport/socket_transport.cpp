#include "transport/socket_transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <cerrno>
#include <memory>

#include "util/error.hpp"

namespace espfab::transport {

namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const noexcept { freeaddrinfo(info); }
};

}  // namespace

UniqueFd connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout, SystemCalls& sys) {
  const std::string peer = fmt::format("{}:{}", host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw IoError("transport.resolve_failed", fmt::format("cannot resolve {}: {}", peer, gai_strerror(rc)),
                  "check the host name in the URL");
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(found);
  std::string last_error = "no address";
  const Deadline deadline(timeout);
  for (const addrinfo* info = list.get(); info != nullptr; info = info->ai_next) {
    UniqueFd fd(sys, ::socket(info->ai_family, info->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, info->ai_protocol));
    if (!fd.valid()) {
      last_error = errno_text(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd.get(), info->ai_addr, info->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = errno_text(errno);
        continue;
      }
      pollfd entry{fd.get(), POLLOUT, 0};
      int ready = 0;
      do {
        ready = sys.poll(&entry, 1, poll_timeout_ms(deadline));
      } while (ready < 0 && errno == EINTR);
      if (ready == 0) {
        throw TimeoutError("transport.connect_timeout",
                           fmt::format("no answer from {} within {} ms", peer, timeout.count()),
                           "check that the serial server or emulator is running and reachable");
      }
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size);
      if (ready < 0 || error != 0) {
        last_error = errno_text(ready < 0 ? errno : error);
        continue;
      }
    }
    return fd;
  }
  throw IoError("transport.connect_failed", fmt::format("cannot connect to {}: {}", peer, last_error),
                "check that the serial server or emulator is running and listening on that port");
}

std::unique_ptr<SocketTransport> SocketTransport::connect(const std::string& host, std::uint16_t port,
                                                          std::chrono::milliseconds timeout, SystemCalls& sys) {
  const std::string peer = fmt::format("{}:{}", host, port);
  return std::make_unique<SocketTransport>(sys, connect_tcp(host, port, timeout, sys), peer);
}

SocketTransport::SocketTransport(SystemCalls& sys, UniqueFd fd, std::string peer)
    : stream_(sys, std::move(fd), "socket " + peer), peer_(std::move(peer)) {}

std::size_t SocketTransport::read(std::span<std::uint8_t> out, Deadline deadline) {
  return stream_.read(out, deadline);
}

void SocketTransport::write(ByteView data) { stream_.write_all(data); }

void SocketTransport::drain_input() { stream_.discard_pending(); }

}  // namespace espfab::transport
