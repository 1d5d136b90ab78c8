#include "cmp/cmp_mock_server.hpp"
#include "util/unique_fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace espfab::test {
namespace {

int bound_loopback_socket(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

int free_port() {
  int port = 0;
  ::close(bound_loopback_socket(port));
  return port;
}

namespace {

std::vector<std::string> mock_argv(int port, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl", "cmp", "-port", std::to_string(port), "-max_msgs", "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

// Ready when it says "ACCEPT [::]:PORT".
CmpMockServer::CmpMockServer(std::filesystem::path log_file, const std::vector<std::string>& args)
    : port_(free_port()), process_(mock_argv(port_, args), std::move(log_file), "ACCEPT") {}

int CmpMockServer::requests() const {
  const std::string text = log();
  int count = 0;
  for (auto at = text.find("Received request"); at != std::string::npos; at = text.find("Received request", at + 1))
    ++count;
  return count;
}

SilentListener::SilentListener() {
  fd_.reset(bound_loopback_socket(port_));
  if (::listen(fd_.get(), 16) != 0) {
    fd_.reset();
    throw std::runtime_error("listen failed");
  }
}

}  // namespace espfab::test
