#include "cmp/cmp_mock_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

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

CmpMockServer::CmpMockServer(std::filesystem::path log_file, const std::vector<std::string>& args)
    : log_file_(std::move(log_file)), port_(free_port()) {
  std::vector<std::string> argv_storage{"openssl", "cmp", "-port", std::to_string(port_), "-max_msgs", "0"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int out = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv("/usr/bin/openssl", argv.data());
    ::_exit(127);
  }
  // Ready when it says "ACCEPT [::]:PORT" (so no probe connection reaches the mock).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log().find("ACCEPT") == std::string::npos) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("openssl cmp exited at start: " + log());
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("openssl cmp did not listen: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CmpMockServer::~CmpMockServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string CmpMockServer::log() const {
  std::ostringstream text;
  text << std::ifstream(log_file_).rdbuf();
  return text.str();
}

int CmpMockServer::requests() const {
  const std::string text = log();
  int count = 0;
  for (auto at = text.find("Received request"); at != std::string::npos; at = text.find("Received request", at + 1))
    ++count;
  return count;
}

SilentListener::SilentListener() {
  fd_ = bound_loopback_socket(port_);
  if (::listen(fd_, 16) != 0) {
    ::close(fd_);
    throw std::runtime_error("listen failed");
  }
}

SilentListener::~SilentListener() { ::close(fd_); }

}  // namespace espfab::test
