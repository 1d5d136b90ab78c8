#include "support/fixture_switch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <stdexcept>
#include <utility>

#include "support/loopback.hpp"

namespace espfab::test {
namespace {

// "rfc2217://127.0.0.1:P" (or "socket://..."): a connection to that loopback port.
UniqueFd connect_device(const std::string& url) {
  const auto colon = url.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("no port in " + url);
  const sockaddr_in address = loopback_address(std::stoi(url.substr(colon + 1)));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot connect to the device at " + url);
  }
  return fd;
}

// Copies what `from` has to `to`; false when `from` is closed.
bool forward(int from, int to) {
  std::array<char, 16384> buffer{};
  const auto n = ::recv(from, buffer.data(), buffer.size(), 0);
  if (n <= 0) return false;
  for (ssize_t sent = 0; sent < n;) {
    const auto m = ::send(to, buffer.data() + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
    if (m <= 0) return false;
    sent += m;
  }
  return true;
}

}  // namespace

FixtureSwitch::FixtureSwitch(const std::string& device_url)
    : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)), next_(device_url) {
  sockaddr_in address = loopback_address(0);
  socklen_t length = sizeof address;
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_.get(), 1) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen on a loopback port for the fixture switch");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { relay(); });
}

FixtureSwitch::~FixtureSwitch() {
  stop_ = true;
  thread_.join();
}

std::string FixtureSwitch::url() const { return "rfc2217://127.0.0.1:" + std::to_string(port_); }

void FixtureSwitch::insert(const std::string& device_url) {
  std::unique_lock lock(mutex_);
  next_ = device_url;
  if (!inserted_.wait_for(lock, std::chrono::seconds(10), [&] { return !next_.has_value(); })) {
    throw std::runtime_error("the fixture switch did not take " + device_url + " (is the station connected?)");
  }
  if (!error_.empty()) throw std::runtime_error(std::exchange(error_, {}));
}

// Accepts the station, then relays between it and the device in the fixture until the station
// leaves or the switch is destroyed. The device is connected here, between two polls, so a
// connection never changes under a poll.
void FixtureSwitch::relay() {
  UniqueFd station;
  UniqueFd device;
  while (!stop_) {
    if (!station) {
      pollfd waiting{listener_.get(), POLLIN, 0};
      if (::poll(&waiting, 1, 50) > 0) station.reset(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      if (next_) {
        try {
          device = connect_device(*next_);
        } catch (const std::exception& error) {
          device.reset();
          error_ = error.what();
        }
        next_.reset();
        inserted_.notify_all();
      }
    }
    std::array<pollfd, 2> fds{pollfd{station.get(), POLLIN, 0}, pollfd{device.get(), POLLIN, 0}};
    if (::poll(fds.data(), device ? 2 : 1, 50) <= 0) continue;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      if (!device) {
        std::array<char, 4096> dropped{};  // an empty fixture: the bytes go nowhere
        if (::recv(station.get(), dropped.data(), dropped.size(), 0) <= 0) return;
      } else if (!forward(station.get(), device.get())) {
        return;
      }
    }
    if (device && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !forward(device.get(), station.get())) {
      device.reset();  // the device's server closed: an empty fixture until the next insert
    }
  }
}

}  // namespace espfab::test
