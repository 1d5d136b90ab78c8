// A server program a test runs in the background: stdin from /dev/null, stdout and stderr into a
// log file, its own process group (so per-connection children stop with it). The constructor
// returns once the log shows `ready` (so no probe connection reaches the server); the destructor
// sends SIGTERM to the group and reaps it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/subprocess.hpp"

namespace espfab::test {

class LoggedProcess {
 public:
  // argv[0] is looked up on PATH. Throws std::runtime_error (with the log) when the program exits
  // or has not logged `ready` within 10 s.
  LoggedProcess(std::vector<std::string> argv, std::filesystem::path log_file, const std::string& ready);
  ~LoggedProcess() = default;  // the Subprocess stops the whole group and reaps it
  LoggedProcess(const LoggedProcess&) = delete;
  LoggedProcess& operator=(const LoggedProcess&) = delete;

  std::string log() const;

 private:
  std::filesystem::path log_file_;
  std::optional<Subprocess> child_;
};

}  // namespace espfab::test
