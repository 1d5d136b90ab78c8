#include "cmp/logged_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace espfab::test {

LoggedProcess::LoggedProcess(std::vector<std::string> argv_storage, std::filesystem::path log_file,
                             const std::string& ready)
    : log_file_(std::move(log_file)) {
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    const int out = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log().find(ready) == std::string::npos) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(argv_storage[0] + " exited at start (is it installed? scripts/setup): " + log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(argv_storage[0] + " did not start listening: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

LoggedProcess::~LoggedProcess() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  // A child the server forked for a connection while the signal was on its way is still in the
  // group; nothing of the group may outlive the test.
  ::kill(-pid_, SIGKILL);
}

std::string LoggedProcess::log() const {
  std::ostringstream text;
  text << std::ifstream(log_file_).rdbuf();
  return text.str();
}

}  // namespace espfab::test
