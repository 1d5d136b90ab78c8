// Raw ZPL over TCP ("port 9100" printing): connect with a deadline, send everything, close.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "label/label_printer.hpp"
#include "label/label_render.hpp"
#include "util/deadline.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace espfab::label {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const noexcept { freeaddrinfo(info); }
};

std::string fix_hint(const std::string& peer) {
  return fmt::format(
      "check that the label printer {} is switched on, on the network and takes raw ZPL on that port; "
      "the label can be printed again later",
      peer);
}

// Waits for `events` on `fd`; false when the deadline passed first.
bool wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    const auto left = deadline.remaining_ms();
    if (left.count() <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // the following call reports the error
  }
}

UniqueFd connect_to(const std::string& host, std::uint16_t port, const std::string& peer,
                    std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw IoError("label.printer_unreachable",
                  fmt::format("cannot resolve the label printer {}: {}", peer, ::gai_strerror(rc)), fix_hint(peer));
  }
  const std::unique_ptr<addrinfo, AddrInfoDeleter> list(found);
  const Deadline deadline(timeout);
  std::string last_error = "no address";
  for (const addrinfo* info = list.get(); info != nullptr; info = info->ai_next) {
    UniqueFd socket(::socket(info->ai_family, info->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, info->ai_protocol));
    if (!socket.valid()) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(socket.get(), info->ai_addr, info->ai_addrlen) == 0) return socket;
    if (errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    if (!wait_for(socket.get(), POLLOUT, deadline)) {
      throw TimeoutError(
          "label.printer_timeout",
          fmt::format("the label printer {} did not accept a connection within {} ms", peer, timeout.count()),
          fix_hint(peer));
    }
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    if (error == 0) return socket;
    last_error = std::strerror(error);
  }
  throw IoError("label.printer_unreachable",
                fmt::format("cannot connect to the label printer {}: {}", peer, last_error), fix_hint(peer));
}

}  // namespace

RawTcpLabelSink::RawTcpLabelSink(std::string host, std::uint16_t port, LabelSize size,
                                 std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), size_(size), timeout_(timeout) {
  if (host_.empty() || port_ == 0) {
    throw BadInputError("label.bad_printer_address", fmt::format("'{}:{}' is not a printer address", host_, port_),
                        "give the printer's host name or IP address and its raw port (usually 9100)");
  }
  validate_label_size(size_);
}

void RawTcpLabelSink::send(const std::string& zpl) const {
  const std::string peer = fmt::format("{}:{}", host_, port_);
  const UniqueFd socket = connect_to(host_, port_, peer, timeout_);
  const Deadline deadline(timeout_);
  std::size_t done = 0;
  while (done < zpl.size()) {
    const ssize_t n = ::send(socket.get(), zpl.data() + done, zpl.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(socket.get(), POLLOUT, deadline)) {
        throw TimeoutError("label.printer_timeout",
                           fmt::format("the label printer {} took no data for {} ms ({} of {} bytes sent)", peer,
                                       timeout_.count(), done, zpl.size()),
                           fix_hint(peer));
      }
      continue;
    }
    throw IoError("label.printer_unreachable",
                  fmt::format("sending the label to the printer {} failed: {}", peer, std::strerror(errno)),
                  fix_hint(peer));
  }
  ::shutdown(socket.get(), SHUT_WR);
}

std::string RawTcpLabelSink::print(const LabelFields& fields) {
  const LabelPlan plan = plan_label(fields, size_);
  const std::string zpl = render_zpl(plan);
  send(zpl);
  return fmt::format("sent {} bytes of ZPL to {}:{}", zpl.size(), host_, port_);
}

std::string RawTcpLabelSink::describe() const { return fmt::format("raw ZPL printer {}:{}", host_, port_); }

}  // namespace espfab::label
