#include "cmp/tls_front.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cmp/cmp_mock_server.hpp"

namespace espfab::test {

TlsFront::TlsFront(std::filesystem::path log_file, const std::filesystem::path& cert, const std::filesystem::path& key,
                   int backend_port)
    : log_file_(std::move(log_file)), port_(free_port()) {
  const std::string listen = "OPENSSL-LISTEN:" + std::to_string(port_) +
                             ",bind=127.0.0.1,reuseaddr,fork,verify=0,cert=" + cert.string() + ",key=" + key.string();
  const std::string backend = "TCP:127.0.0.1:" + std::to_string(backend_port);
  std::vector<std::string> argv_storage{"socat", "-d", "-d", listen, backend};
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);  // its own group: the destructor stops the per-connection children too
    const int out = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execvp("socat", argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  // Ready when it logs "listening on" (so no probe connection reaches it).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log().find("listening on") == std::string::npos) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("socat exited at start (is it installed? scripts/setup): " + log());
    }
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("socat did not listen: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TlsFront::~TlsFront() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string TlsFront::log() const {
  std::ostringstream text;
  text << std::ifstream(log_file_).rdbuf();
  return text.str();
}

}  // namespace espfab::test
