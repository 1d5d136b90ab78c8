#include "support/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <stdexcept>

namespace espfab::test {

sockaddr_in loopback_address(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

// Ports are drawn below the kernel's ephemeral range (32768 and up by default): a port the kernel
// handed out "free a moment ago" can be taken by any outgoing connection of a test running beside
// this one before the server binds it.
int free_loopback_port() {
  static thread_local std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> candidate(20000, 32000);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const int port = candidate(random);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback_address(port);
    const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (bound) return port;
  }
  throw std::runtime_error("no free loopback port between 20000 and 32000");
}

bool loopback_port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in address = loopback_address(port);
  const bool open = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return open;
}

}  // namespace espfab::test
