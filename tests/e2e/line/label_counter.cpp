#include "label_counter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace espfab::test {
namespace {

// The serial of a ZPL job: its QR payload "EF1;SN:<serial>;D:…".
std::string serial_of(const std::string& job) {
  const std::string marker = "^FDMA,EF1;SN:";
  const auto at = job.find(marker);
  if (at == std::string::npos) return "?";
  const auto start = at + marker.size();
  return job.substr(start, job.find(';', start) - start);
}

// Everything the client sends until it shuts down its side (or 5 s of silence).
std::string read_job(int client) {
  std::string job;
  char buffer[4096];
  for (;;) {
    pollfd ready{client, POLLIN, 0};
    if (::poll(&ready, 1, 5000) <= 0) break;
    const ssize_t n = ::read(client, buffer, sizeof buffer);
    if (n <= 0) break;
    job.append(buffer, static_cast<std::size_t>(n));
  }
  return job;
}

}  // namespace

LabelCounter::LabelCounter() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  const int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(listener_.get(), 64) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("the label counter cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LabelCounter::~LabelCounter() {
  stop_ = true;
  thread_.join();
}

void LabelCounter::serve() {
  while (!stop_) {
    pollfd waiting{listener_.get(), POLLIN, 0};
    if (::poll(&waiting, 1, 100) <= 0) continue;
    const UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) continue;
    const auto serial = serial_of(read_job(client.get()));
    const std::lock_guard lock(mutex_);
    ++printed_[serial];
  }
}

std::map<std::string, int> LabelCounter::printed() const {
  const std::lock_guard lock(mutex_);
  return printed_;
}

}  // namespace espfab::test
